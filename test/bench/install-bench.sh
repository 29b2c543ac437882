#!/bin/bash
# Benchmark: install a multi-GB xz image into a disk-image file (E8) and a
# loop device, against `xz -dc img | dd of=target bs=1M`. Reports wall time
# and peak RSS (GNU time). The image: GPT + SIZE_GIB GiB, of which RANDOM_MIB
# MiB random (incompressible) data and the rest zeros, signed by a throwaway key.
# Usage: test/bench/install-bench.sh [SIZE_GIB=3] [RANDOM_MIB=512]
# Needs: sgdisk, xz, gpg, /usr/bin/time; root for the loop-device run.
set -euo pipefail
size_gib=${1:-3}
random_mib=${2:-512}
here=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /var/tmp/nestos-bench.XXXXXX)
loop=
trap '[ -n "$loop" ] && losetup -d "$loop"; gpgconf --homedir "$work/gnupg" --kill gpg-agent 2>/dev/null; rm -rf "$work"' EXIT
[ -f "$here/dist/main.js" ] || (cd "$here" && npm run build >/dev/null)

img=$work/big.raw
truncate -s "${size_gib}G" "$img"
sgdisk -n1:2048:0 -c1:root "$img" >/dev/null
dd if=/dev/urandom of="$img" bs=1M seek=16 count="$random_mib" conv=notrunc status=none
echo "compressing ${size_gib} GiB image (${random_mib} MiB random)..." >&2
xz -T0 -1 -c "$img" > "$img.xz"
mkdir -m 0700 "$work/gnupg"
g() { gpg --homedir "$work/gnupg" --batch --quiet "$@"; }
g --passphrase '' --quick-gen-key 'bench <bench@example.invalid>' ed25519 sign never
g --armor --export > "$work/key.asc"
g --pinentry-mode loopback --passphrase '' --detach-sign -o "$img.xz.sig" "$img.xz"
rm -f "$img"
ls -l "$img.xz" >&2

measure() { # label, command...
  local label=$1; shift
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  read -r secs kib < "$work/time"
  printf '%-40s %8.2f s  %8.1f MiB/s  peak RSS %6d MiB\n' "$label" "$secs" "$(echo "$size_gib*1024/$secs" | bc -l)" $((kib / 1024))
}
target=$work/target.img
truncate -s "$((size_gib + 1))G" "$target"
measure "xz -dc | dd (file)" bash -c "xz -dc '$img.xz' | dd of='$target' bs=1M conv=notrunc status=none; sync"
measure "nestos-installer install (file)" node "$here/dist/main.js" install -f "$img.xz" --signing-key "$work/key.asc" "$target"
if [ "$(id -u)" = 0 ]; then
  loop=$(losetup -f --show -P "$target")
  measure "xz -dc | dd (loop device)" bash -c "xz -dc '$img.xz' | dd of='$loop' bs=1M status=none; sync"
  measure "nestos-installer install (loop device)" node "$here/dist/main.js" install -f "$img.xz" --signing-key "$work/key.asc" "$loop"
fi
