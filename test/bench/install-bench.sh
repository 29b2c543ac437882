#!/bin/bash
# Benchmark: install a multi-GB xz image into a disk-image file (E8) and a
# loop device, against `xz -dc img | dd of=target bs=1M`. Reports wall time
# and peak RSS (GNU time). The image: GPT + SIZE_GIB GiB, of which RANDOM_MIB
# MiB random (incompressible) data and the rest zeros, signed by a throwaway key.
# Runs alternate (dd, install, dd, install...) for ROUNDS rounds with the page
# cache dropped before each, since one loop-device run can be 15% off the next;
# it prints every run, then the median, min and max of each.
# Usage: test/bench/install-bench.sh [SIZE_GIB=3] [RANDOM_MIB=512] [ROUNDS=5]
# Needs: sgdisk, xz, gpg, /usr/bin/time; root for the loop-device run.
set -euo pipefail
size_gib=${1:-3}
random_mib=${2:-512}
rounds=${3:-5}
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
  printf '%-40s %8.2f s  %8.1f MiB/s  peak RSS %6d MiB\n' "$label" "$secs" "$(echo "$size_gib*1024/$secs" | bc -l)" $((kib / 1024)) >&2
  printf '%s\t%s\t%s\n' "$label" "$secs" "$kib" >> "$work/runs"
}
target=$work/target.img
truncate -s "$((size_gib + 1))G" "$target"
[ "$(id -u)" = 0 ] && loop=$(losetup -f --show -P "$target")
for _ in $(seq "$rounds"); do
  measure "xz -dc | dd (file)" bash -c "xz -dc '$img.xz' | dd of='$target' bs=1M conv=notrunc status=none; sync"
  measure "nestos-installer install (file)" node "$here/dist/main.js" install -f "$img.xz" --signing-key "$work/key.asc" "$target"
  if [ -n "$loop" ]; then
    measure "xz -dc | dd (loop device)" bash -c "xz -dc '$img.xz' | dd of='$loop' bs=1M status=none; sync"
    measure "nestos-installer install (loop device)" node "$here/dist/main.js" install -f "$img.xz" --signing-key "$work/key.asc" "$loop"
  fi
done
echo "over $rounds rounds:"
# Per label, in first-seen order: median, min, max seconds and the largest peak RSS.
awk -F'\t' -v gib="$size_gib" '
  !($1 in n) { order[++labels] = $1 }
  { n[$1]++; t[$1, n[$1]] = $2; if ($3 > rss[$1]) rss[$1] = $3 }
  END {
    for (l = 1; l <= labels; l++) {
      k = order[l]; c = n[k]
      for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (t[k, j] < t[k, i]) { x = t[k, i]; t[k, i] = t[k, j]; t[k, j] = x }
      med = (c % 2) ? t[k, (c + 1) / 2] : (t[k, c / 2] + t[k, c / 2 + 1]) / 2
      printf "%-40s median %6.2f s (%6.1f MiB/s)  min %6.2f  max %6.2f  peak RSS %4d MiB\n", k, med, gib * 1024 / med, t[k, 1], t[k, c], rss[k] / 1024
    }
  }' "$work/runs"
