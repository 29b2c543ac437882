#!/bin/bash
# Demo: customize a small live ISO built from the bundled fixtures
# (fixtures/iso/embed-areas-2023-07.x86_64.iso.xz): embed an example Ignition
# config in place and show it back, inspect the embed area, edit the live
# kernel arguments, write a copy to stdout, and reset to the pristine bytes.
# Usage: scripts/demo-iso.sh [WORKDIR]   (needs: node, dd, sha256sum)
set -euo pipefail
source "$(dirname "$0")/lib-demo.sh" "$@"
iso=$work/nestos-live.iso

echo "== Decompressing the bundled live ISO fixture to $iso"
rm -f "$iso" "$work/copy.iso"
node "$here/scripts/unxz.mjs" "$here/fixtures/iso/embed-areas-2023-07.x86_64.iso.xz" "$iso"
pristine=$(sha256sum < "$iso" | cut -d' ' -f1)
echo "sha256 $pristine"

cat > "$work/example.ign" <<'IGN'
{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA nestos-demo"]}]}}
IGN

echo; echo "== Embedding an example Ignition config (in place)"
run iso ignition embed -i "$work/example.ign" "$iso"
echo; echo "== Showing it back"
run iso ignition show "$iso"
echo; echo "== The embed area: an xz (CRC32) cpio holding config.ign"
run dev show iso --ignition "$iso"
read -r offset length < <($cli dev show iso --ignition "$iso" | tr -dc '0-9\n ' | tr '\n' ' ' | xargs)
echo "\$ dd if=nestos-live.iso skip=$offset count=$length | nestos-installer dev show initrd -"
dd if="$iso" bs=2048 skip=$((offset / 2048)) count=$((length / 2048)) status=none | $cli dev show initrd -
echo; echo "== A second embed without -f is refused and changes nothing"
run iso ignition embed -i "$work/example.ign" "$iso" || echo "(exit status $?)"
echo; echo "== Live kernel arguments"
run iso kargs modify -a nestos.demo=1 -d ignition.firstboot "$iso"
run iso kargs show "$iso"
run iso kargs show --default "$iso"
echo; echo "== The three output modes give the same bytes: stdout (-o -), a new file (-o FILE), in place"
$cli iso ignition embed -f -i "$work/example.ign" "$iso" -o - > "$work/stdout.iso"
$cli iso ignition embed -f -i "$work/example.ign" "$iso" -o "$work/copy.iso"
$cli iso ignition embed -f -i "$work/example.ign" "$iso"
sha256sum "$work/stdout.iso" "$work/copy.iso" "$iso" | sed "s|$work/||"
echo; echo "== iso reset restores the pristine image"
run iso reset "$iso"
now=$(sha256sum < "$iso" | cut -d' ' -f1)
echo "sha256 $now"
[ "$now" = "$pristine" ] && echo "identical to the pristine fixture"
