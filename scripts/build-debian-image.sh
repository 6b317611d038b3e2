#!/bin/bash
# Build a stock Debian 12 cloud image from Debian's packages: a whole disk that
# boots on its own (an MBR, BIOS GRUB in the gap after it, one ext4 partition),
# with systemd, cloud-init (NoCloud), qemu-guest-agent, openssh-server and the
# cloud kernel. Nothing is handed to QEMU from outside the disk.
#
#   scripts/build-debian-image.sh [OUTDIR]
#
# OUTDIR defaults to ${HOSTFLOW_STATE_DIR:-/var/lib/hostflow}/images/debian-12 and
# receives
#   disk.qcow2     the image (virtual size DISK_MIB)
#   manifest.json  name, disk_format, sha512, size, the Glance-style properties to
#                  register it with, the default user, builder_hash
#
# Idempotent: when OUTDIR/manifest.json has this script's hash it exits at once.
# No loop device, partition scan or device-mapper is needed (this machine's kernel
# has none of the last two): the root filesystem is made from a directory with
# `mkfs.ext4 -d` and written into the disk file at the partition's offset; GRUB's
# core image (grub-mkimage, from the guest's own grub-pc-bin modules) goes into the
# sectors after the MBR and boot.img into the MBR itself, which is where
# grub-install would put them.
# Needs: mmdebstrap, grub-mkimage (grub-common), sfdisk (fdisk), mkfs.ext4,
# qemu-img, sha256sum/sha512sum. See docs/images.md.
set -euo pipefail

IMAGE_NAME=debian-12
SUITE=bookworm
DISK_MIB=2048
PART_START=2048 # sectors: 1 MiB, the gap GRUB's core image lives in
ROOT_UUID=7a8f4c1e-2b6d-4e55-9c3a-1f0e5d6b8a21
DEFAULT_USER=debian
# dbus: systemd-logind needs it, and without logind neither the ACPI power button nor the
# guest agent's guest-shutdown (`shutdown +0` asks logind) shuts the guest down
PACKAGES=linux-image-cloud-amd64,systemd-sysv,udev,dbus,cloud-init,cloud-guest-utils,qemu-guest-agent,openssh-server,grub-pc-bin,ifupdown,isc-dhcp-client,iproute2,sudo,ca-certificates,netbase
CMDLINE="root=UUID=$ROOT_UUID ro console=ttyS0 net.ifnames=0"

log() { echo "build-debian-image: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

STATE_DIR=${HOSTFLOW_STATE_DIR:-/var/lib/hostflow}
OUTDIR=${1:-$STATE_DIR/images/$IMAGE_NAME}
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
HASH=$(sha256sum "$SCRIPT" | cut -d' ' -f1)

if [[ -f "$OUTDIR/manifest.json" ]] && grep -q "\"builder_hash\": \"$HASH\"" "$OUTDIR/manifest.json"; then
    log "$OUTDIR is up to date"
    exit 0
fi
for tool in mmdebstrap grub-mkimage sfdisk mkfs.ext4 qemu-img; do
    command -v "$tool" >/dev/null || die "$tool not found (scripts/setup.sh installs it)"
done

mkdir -p "$(dirname "$OUTDIR")"
WORK=$(mktemp -d "$(dirname "$OUTDIR")/.build-$IMAGE_NAME.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root

# The guest's own settings, written into the tree before the filesystem is made.
customize() {
    local root="$1" kernel initrd
    printf 'UUID=%s / ext4 rw,discard,errors=remount-ro 0 1\n' "$ROOT_UUID" >"$root/etc/fstab"
    printf 'localhost\n' >"$root/etc/hostname"
    cat >"$root/etc/cloud/cloud.cfg.d/90_hostflow.cfg" <<'EOF'
# hostflow's hosts carry a NoCloud config drive (label cidata)
datasource_list: [NoCloud, None]
EOF
    printf 'auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n' >"$root/etc/network/interfaces"
    rm -f "$root"/etc/ssh/ssh_host_*   # cloud-init makes each host its own
    : >"$root/etc/machine-id"          # systemd makes each host its own
    kernel=$(cd "$root/boot" && ls vmlinuz-* | sort -V | tail -1)
    initrd=$(cd "$root/boot" && ls initrd.img-* | sort -V | tail -1)
    mkdir -p "$root/boot/grub/i386-pc"
    cp "$root"/usr/lib/grub/i386-pc/*.mod "$root"/usr/lib/grub/i386-pc/*.lst "$root/boot/grub/i386-pc/"
    cat >"$root/boot/grub/grub.cfg" <<EOF
set timeout=0
set default=0
menuentry 'Debian 12' {
    linux /boot/$kernel $CMDLINE
    initrd /boot/$initrd
}
EOF
}

log "mmdebstrap $SUITE ($PACKAGES)"
mmdebstrap --mode=root --variant=apt --include="$PACKAGES" \
    --aptopt='Acquire::Languages "none"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    "$SUITE" "$ROOT" >&2
customize "$ROOT"

log "root filesystem"
mkfs.ext4 -q -F -L root -U "$ROOT_UUID" -d "$ROOT" "$WORK/root.ext4" "$((DISK_MIB - 1))M"

log "disk: MBR, GRUB, partition 1"
truncate -s "${DISK_MIB}M" "$WORK/disk.raw"
printf 'label: dos\nstart=%s, type=83, bootable\n' "$PART_START" | sfdisk -q "$WORK/disk.raw"
dd if="$WORK/root.ext4" of="$WORK/disk.raw" bs=512 seek="$PART_START" conv=notrunc,sparse status=none
grub-mkimage -O i386-pc -d "$ROOT/usr/lib/grub/i386-pc" -p '(hd0,msdos1)/boot/grub' -o "$WORK/core.img" \
    biosdisk part_msdos ext2 normal linux configfile
(($(stat -c %s "$WORK/core.img") < (PART_START - 1) * 512)) || die "core.img does not fit before the partition"
dd if="$ROOT/usr/lib/grub/i386-pc/boot.img" of="$WORK/disk.raw" bs=440 count=1 conv=notrunc status=none
dd if="$WORK/core.img" of="$WORK/disk.raw" bs=512 seek=1 conv=notrunc status=none

log "qcow2"
qemu-img convert -q -f raw -O qcow2 "$WORK/disk.raw" "$WORK/disk.qcow2"
SHA512=$(sha512sum "$WORK/disk.qcow2" | cut -d' ' -f1)
SIZE=$(stat -c %s "$WORK/disk.qcow2")
cat >"$WORK/manifest.json" <<EOF
{
  "name": "$IMAGE_NAME",
  "file": "disk.qcow2",
  "disk_format": "qcow2",
  "sha512": "$SHA512",
  "size": $SIZE,
  "default_user": "$DEFAULT_USER",
  "properties": {"hw_qemu_guest_agent": "yes", "os_distro": "debian", "os_version": "12",
                 "hw_firmware_type": "bios", "os_default_user": "$DEFAULT_USER"},
  "builder_hash": "$HASH"
}
EOF
mkdir -p "$WORK/out"
mv "$WORK/disk.qcow2" "$WORK/manifest.json" "$WORK/out/"
rm -rf "$OUTDIR"
mv "$WORK/out" "$OUTDIR"
log "built $OUTDIR ($SIZE bytes)"
