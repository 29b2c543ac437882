#!/bin/bash
# Demo: install the bundled sample image (fixtures/metal/) into a disk-image
# file (E8: an existing regular file), then show its partitions and the
# Ignition config and kernel arguments written on its boot partition.
# Root, losetup, partx and mount are needed for the boot-partition edits;
# without them the demo installs the plain image and says so. Partitions are
# shown with sgdisk when it is there, else with the installer's GPT reader.
# Usage: scripts/demo-install.sh [WORKDIR]   (needs: node; as root also losetup, partx, mount)
set -euo pipefail
source "$(dirname "$0")/lib-demo.sh" "$@"
edits=no
if [ "$(id -u)" = 0 ] && have losetup && have partx && have mount && have umount; then edits=yes; fi
img=$here/fixtures/metal/sample-metal.raw.xz
key=$here/fixtures/metal/sample-signing-key.pub.asc
disk=$work/vm-disk.img
loop=
mnt=
cleanup() {
  [ -n "$mnt" ] && umount "$mnt" 2>/dev/null && rmdir "$mnt"
  [ -n "$loop" ] && losetup -d "$loop" 2>/dev/null
  true
}
trap cleanup EXIT

echo "== Creating an empty 64 MiB disk image: $disk"
rm -f "$disk"
truncate -s 64M "$disk"
cat > "$work/demo.ign" <<'IGN'
{"ignition":{"version":"3.3.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA demo"]}]}}
IGN

if [ "$edits" = yes ]; then
  echo "== nestos-installer install -f sample-metal.raw.xz -i demo.ign --append-karg nestos.demo=1 --console ttyS0,115200n8 $disk"
  $cli install -f "$img" --signing-key "$key" -i "$work/demo.ign" \
    --append-karg nestos.demo=1 --console ttyS0,115200n8 "$disk"
else
  echo "== Not root, or losetup/partx/mount missing: installing without -i (editing the boot partition needs a loop device and mount)"
  $cli install -f "$img" --signing-key "$key" "$disk"
fi

echo
if have sgdisk; then
  echo "== Partitions (sgdisk -p)"
  sgdisk -p "$disk"
else
  echo "== Partitions (sgdisk is not installed: the installer's own GPT reader)"
  node "$here/scripts/show-partitions.mjs" "$disk"
fi

if [ "$edits" = yes ]; then
  loop=$(losetup -f --show -P -r "$disk")
  partx -u "$loop" 2>/dev/null || true
  mnt=$(mktemp -d)
  mount -o ro "${loop}p3" "$mnt"
  echo
  echo "== ignition/config.ign on the boot partition"
  ls -l "$mnt/ignition/config.ign"
  cat "$mnt/ignition/config.ign"
  echo
  echo "== BLS options"
  grep '^options' "$mnt"/loader/entries/*.conf
  echo
  echo "== GRUB console block"
  sed -n '/CONSOLE-SETTINGS-START/,/CONSOLE-SETTINGS-END/p' "$mnt/grub2/grub.cfg"
fi
