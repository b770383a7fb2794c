#!/usr/bin/env bash
# Builds a Debian 12 amphora image with this agent: OUTDIR/amphora-x64-haproxy.qcow2 and, beside
# it, the kernel (.vmlinuz) and initrd (.initrd) it boots with (the root file system carries no
# boot loader: qemu -kernel/-initrd, or Glance kernel_id/ramdisk_id properties, start it with
# "root=/dev/vda rw console=ttyS0 net.ifnames=0").
#
# Usage: scripts/build-image.sh [--python] [OUTDIR]   (default OUTDIR: ./images, gitignored)
#   --python   the same image with Debian's Python agent (package octavia-agent) instead of this
#              one, for comparison; written as amphora-x64-haproxy-python.*
#
# Needs root and Debian's debootstrap, qemu-utils and e2fsprogs (scripts/setup.sh --image installs
# them). Packages come from the Debian mirror this machine's apt already uses; nothing else is
# downloaded. The debootstrapped base with its packages is cached in OUTDIR/cache, so a rebuild
# after a change to the agent takes a minute or two.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

flavour=node
if [ "${1:-}" = "--python" ]; then flavour=python; shift; fi
output=$(realpath -m "${1:-images}")
name=amphora-x64-haproxy
[ "$flavour" = python ] && name=amphora-x64-haproxy-python
started=$(date +%s)
log() { echo "image: [$(( $(date +%s) - started ))s] $*" >&2; }

[ "$(id -u)" = 0 ] || { echo "image: must run as root (debootstrap, chroot)" >&2; exit 1; }
for tool in debootstrap mkfs.ext4 qemu-img; do
  command -v "$tool" >/dev/null || { echo "image: $tool missing: run scripts/setup.sh --image" >&2; exit 1; }
done

# The Debian mirror apt already uses (deb822 first, then the one-line format).
mirror=${DEBIAN_MIRROR:-}
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
  mirror=$(awk '/^URIs:/ {uri=$2} /^Suites:/ && / bookworm( |$)/ {print uri; exit}' /etc/apt/sources.list.d/debian.sources)
fi
if [ -z "$mirror" ] && [ -f /etc/apt/sources.list ]; then
  mirror=$(awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' /etc/apt/sources.list)
fi
mirror=${mirror:-http://deb.debian.org/debian}

common_packages=(systemd systemd-sysv udev dbus kmod iproute2 procps linux-image-amd64 initramfs-tools
  haproxy keepalived ipvsadm nftables openssl ca-certificates isc-dhcp-client iputils-ping iputils-arping
  logrotate rsyslog qemu-guest-agent)
packages=("${common_packages[@]}")
[ "$flavour" = python ] && packages+=(octavia-agent)

mkdir -p "$output/cache"
work=$(mktemp -d "$output/work.XXXXXX")
cleanup() {
  for mount in "$work/root/proc" "$work/root/sys" "$work/root/dev/pts" "$work/root/dev"; do
    mountpoint -q "$mount" 2>/dev/null && umount -l "$mount"
  done
  rm -rf "$work"
}
trap cleanup EXIT
root=$work/root

in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }
mount_api() {
  mount -t proc proc "$root/proc"
  mount -t sysfs sys "$root/sys"
  mount --bind /dev "$root/dev"
  mount --bind /dev/pts "$root/dev/pts"
}
umount_api() { umount "$root/dev/pts" "$root/dev" "$root/sys" "$root/proc"; }

# 1. Base: debootstrap minbase + packages, cached by flavour, mirror and package list.
key=$(printf '%s\n' "$flavour" "$mirror" "${packages[@]}" | sha256sum | cut -c1-16)
base=$output/cache/base-$flavour-$key.tar
if [ ! -f "$base" ]; then
  log "debootstrap bookworm minbase from $mirror"
  mkdir -p "$root"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
    || { tail -30 "$work/debootstrap.log" >&2; exit 1; }
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
    rm -f "$root/etc/apt/sources.list"
  fi
  # Package scripts must not start services in the chroot.
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d" && chmod 0755 "$root/usr/sbin/policy-rc.d"
  echo 'do_symlinks = no' > "$root/etc/kernel-img.conf"
  mount_api
  log "installing ${#packages[@]} packages"
  in_root apt-get update -qq
  in_root apt-get install -y -qq --no-install-recommends "${packages[@]}" >"$work/apt.log" 2>&1 \
    || { umount_api; tail -30 "$work/apt.log" >&2; exit 1; }
  in_root apt-get clean
  umount_api
  rm -rf "$root/var/lib/apt/lists/"*
  tar -C "$root" --numeric-owner -cf "$base.partial" . && mv "$base.partial" "$base"
  rm -rf "$root"
  log "base cached: $base"
fi
mkdir -p "$root"
tar -C "$root" --numeric-owner -xf "$base"
log "base unpacked"

# 2. The agent.
if [ "$flavour" = node ]; then
  tarball=$(scripts/build-release.sh "$work/release" | tail -1)
  home=$root/opt/amphora-agent
  mkdir -p "$home" && tar -C "$home" -xzf "$tarball"
  element=diskimage/elements/amphora-agent-node
  for step in "$element"/install.d/*; do
    TARGET_ROOT=$root DIB_INIT_SYSTEM=systemd "$step"
  done
  for step in "$element"/post-install.d/*; do
    cp "$step" "$root/tmp/step" && in_root DIB_INIT_SYSTEM=systemd /tmp/step && rm "$root/tmp/step"
  done
  log "agent $(cat "$home/VERSION") installed through the element"
else
  # Debian's package installs the agent as /usr/bin/amphora-agent with its own unit; the
  # image contract is Octavia's path and unit name.
  ln -sf /usr/bin/amphora-agent "$root/usr/local/bin/amphora-agent"
  install -d -m 0755 "$root/etc/octavia/certs" "$root/var/lib/octavia"
  in_root systemctl enable octavia-agent.service >/dev/null
  log "Python agent from Debian's octavia-agent package"
fi

# 3. What the rest of Octavia's elements and the base OS would give: sysctls, ip_vs at boot,
# the config drive, the management NIC on DHCP, masked distribution services, a fixed machine-id.
cp -r diskimage/vm/. "$root/"
chmod 0755 "$root/usr/local/sbin/amphora-config-drive"
echo amphora > "$root/etc/hostname"
echo 'a6c5e4a2d1b94e4f8d3c2b1a09f8e7d6' > "$root/etc/machine-id"
printf '/dev/vda / ext4 rw,noatime,errors=remount-ro 0 1\n' > "$root/etc/fstab"
in_root systemctl mask haproxy.service keepalived.service >/dev/null
in_root systemctl enable amphora-config-drive.service systemd-networkd.service qemu-guest-agent.service >/dev/null 2>&1 \
  || in_root systemctl enable amphora-config-drive.service systemd-networkd.service >/dev/null
in_root passwd -l root >/dev/null
# Shrink: drivers a VM never uses, documentation, caches; then an initramfs for this kernel.
kernel_version=$(ls "$root/lib/modules" | sort -V | tail -1)
drivers=$root/lib/modules/$kernel_version/kernel/drivers
for driver in gpu sound media net/wireless net/can net/usb net/wwan net/ieee802154 infiniband bluetooth isdn staging \
  iio comedi mtd mmc memstick target input/touchscreen input/joystick input/tablet usb/gadget usb/serial usb/misc; do
  rm -rf "${drivers:?}/$driver"
done
# Physical NIC drivers but Intel's (e1000 and friends, which some clouds emulate); virtio-net stays.
find "$drivers/net/ethernet" -mindepth 1 -maxdepth 1 -type d ! -name intel -exec rm -rf {} +
rm -rf "$root/lib/modules/$kernel_version/kernel/sound" "$root/usr/share/doc/"* "$root/usr/share/man/"* \
  "$root/usr/share/info/"* "$root/usr/share/locale/"*/ "$root/var/cache/apt/"*.bin "$root/var/log/"*.log "$root/usr/lib/firmware"
mount_api
in_root depmod "$kernel_version"
sed -i 's/^MODULES=.*/MODULES=most/' "$root/etc/initramfs-tools/initramfs.conf"
in_root update-initramfs -u -k "$kernel_version" >/dev/null 2>&1
umount_api
rm -f "$root/usr/sbin/policy-rc.d"
log "image tree ready"

# 4. File system, qcow2, kernel and initrd.
root_kib=$(du -sk "$root" | cut -f1)
disk_mib=$(( root_kib / 1024 * 13 / 10 + 512 ))  # room for load balancers and logs
rm -f "$work/disk.raw"
mkfs.ext4 -q -F -L amphora-root -d "$root" "$work/disk.raw" "${disk_mib}M"
qemu-img convert -c -O qcow2 "$work/disk.raw" "$output/$name.qcow2.partial"
mv "$output/$name.qcow2.partial" "$output/$name.qcow2"
cp "$root/boot/vmlinuz-$kernel_version" "$output/$name.vmlinuz"
cp "$root/boot/initrd.img-$kernel_version" "$output/$name.initrd"
log "done"
qcow2_bytes=$(stat -c %s "$output/$name.qcow2")
echo "image: $output/$name.qcow2 $(( qcow2_bytes / 1048576 )) MiB (root tree $(( root_kib / 1024 )) MiB, file system ${disk_mib} MiB), built in $(( $(date +%s) - started )) s" >&2
echo "$output/$name.qcow2"
