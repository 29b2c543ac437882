#!/bin/sh
# Opt-in boot check (not run by vitest): does a real Linux kernel accept the
# initrd that `pxe ignition wrap` writes, appended to another initramfs?
#
# Needs: qemu-system-x86_64, a kernel (/boot/vmlinuz-*), busybox-static, cpio,
# gzip, and a built dist/ (npm run build). On Debian:
#   apt-get install -y qemu-system-x86 linux-image-amd64 busybox-static cpio
# Usage: sh test/boot/pxe-boot.sh [KERNEL]
# Prints the console log and exits 0 when the booted system printed the
# wrapped config byte for byte.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
kernel=${1:-$(ls /boot/vmlinuz-* | sort -V | tail -n 1)}
busybox=$(command -v busybox)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. A tiny base initramfs (gzip): busybox and an /init that prints /config.ign.
mkdir -p "$work/base/bin"
cp "$busybox" "$work/base/bin/busybox"
cat > "$work/base/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox echo "BOOT-CONFIG-BEGIN"
/bin/busybox cat /config.ign
/bin/busybox echo "BOOT-CONFIG-END"
/bin/busybox sha256sum /config.ign
/bin/busybox poweroff -f
INIT
chmod 755 "$work/base/init"
(cd "$work/base" && find . | cpio -o -H newc --quiet | gzip -9) > "$work/base.img"

# 2. Our wrapped config (xz, CRC32), appended as is.
printf '{"ignition":{"version":"3.4.0"},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 AAAA boot-check"]}]}}\n' > "$work/config.ign"
node "$root/dist/main.js" pxe ignition wrap -i "$work/config.ign" -o "$work/wrapped.img"
cat "$work/base.img" "$work/wrapped.img" > "$work/combined.img"

# 3. Boot.
timeout 180 qemu-system-x86_64 -nographic -no-reboot -m 512 -nic none \
  -kernel "$kernel" -initrd "$work/combined.img" \
  -append 'console=ttyS0 panic=-1 quiet' > "$work/console.log" 2>&1 || true
tr -d '\r' < "$work/console.log" > "$work/console.txt"
cat "$work/console.txt"

# 4. Compare what the booted system printed with the config we wrapped.
sed -n '/BOOT-CONFIG-BEGIN$/,/^BOOT-CONFIG-END$/p' "$work/console.txt" | sed '1d;$d' > "$work/seen.ign"
want=$(sha256sum < "$work/config.ign" | cut -d' ' -f1)
if cmp -s "$work/seen.ign" "$work/config.ign" && grep -q "^$want  /config.ign" "$work/console.txt"; then
  echo "PXE-BOOT-CHECK: OK (kernel $(basename "$kernel"), config sha256 $want)"
else
  echo "PXE-BOOT-CHECK: FAILED" >&2
  exit 1
fi
