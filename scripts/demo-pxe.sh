#!/bin/bash
# Demo: wrap an Ignition config and a NetworkManager keyfile in initrd images
# to append to a live PXE initramfs, list them, and unwrap them again.
# Usage: scripts/demo-pxe.sh [WORKDIR]   (needs: node)
set -euo pipefail
source "$(dirname "$0")/lib-demo.sh" "$@"

cat > "$work/pxe.ign" <<'IGN'
{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA nestos-pxe"]}]}}
IGN
printf '[connection]\nid=eth0\ntype=ethernet\ninterface-name=eth0\n\n[ipv4]\nmethod=auto\n' > "$work/eth0.nmconnection"

echo "== pxe ignition wrap: the config as an xz (CRC32) cpio initrd"
run pxe ignition wrap -i "$work/pxe.ign" -o "$work/ignition.img"
run dev show initrd "$work/ignition.img"
echo; echo "== pxe ignition unwrap gives the config back, byte for byte"
echo "\$ nestos-installer pxe ignition unwrap $work/ignition.img > $work/unwrapped.ign"
$cli pxe ignition unwrap "$work/ignition.img" > "$work/unwrapped.ign"
cmp "$work/pxe.ign" "$work/unwrapped.ign" # set -e: a difference stops the demo
echo "identical"
echo; echo "== pxe network wrap / unwrap"
run pxe network wrap -k "$work/eth0.nmconnection" -o "$work/network.img"
run pxe network unwrap "$work/network.img"
