#!/bin/bash
# Build hostflow's test guest image from Debian packages only: Glance's
# AKI/ARI/AMI triple, the same guest as a bootable ISO, plus a manifest.
#
#   scripts/build-test-image.sh [OUTDIR]
#
# OUTDIR defaults to ${HOSTFLOW_STATE_DIR:-/var/lib/hostflow}/images/test and
# receives
#   vmlinuz       AKI: the kernel of Debian's linux-image-amd64
#   initrd.img    ARI: gzip'd newc cpio with busybox-static, the kernel
#                 modules the guest needs and /init (scripts/guest/initramfs-init)
#   root.qcow2    AMI: a 64 MiB ext4 filesystem (busybox, /sbin/init from
#                 scripts/guest/init), made with mkfs.ext4 -d and converted to qcow2
#   test.iso      a BIOS-bootable ISO 9660 "live CD" of the same guest (GRUB
#                 i386-pc, made with grub-mkrescue): Debian's bzImage vmlinuz and
#                 an initrd = initrd.img + a second gzip'd cpio holding the root
#                 filesystem's contents; cmdline "console=ttyS0 root=initramfs",
#                 so the initramfs /init execs /sbin/init without a root disk
#   manifest.json name, kernel cmdline, per-file disk_format/sha512/size and
#                 builder_hash (sha256 of this script and scripts/guest/*)
#
# Idempotent: when OUTDIR/manifest.json already has this builder_hash it
# exits at once. Downloaded .debs are kept in
# ${HOSTFLOW_STATE_DIR:-/var/lib/hostflow}/cache/debs. The result is built in a
# temporary directory next to OUTDIR and renamed into place at the end.
# Needs: apt-get, apt-cache, dpkg-deb, cpio, gzip, mkfs.ext4 (e2fsprogs),
# qemu-img, modinfo (kmod), sha256sum/sha512sum, flock, grub-mkrescue
# (grub-common) with /usr/lib/grub/i386-pc (grub-pc-bin), xorriso.
# See docs/test-image.md.
set -euo pipefail

IMAGE_NAME=hostflow-test
ROOT_SIZE_MIB=64
CMDLINE="console=ttyS0 root=/dev/vda rootfstype=ext4 rw"
# test.iso's kernel command line (in its grub.cfg): no root disk, the guest
# runs from the initramfs (scripts/guest/initramfs-init, root=initramfs).
ISO_CMDLINE="console=ttyS0 root=initramfs"
GRUB_PC_DIR=/usr/lib/grub/i386-pc

# Modules the guest loads in the initramfs (dependencies are added
# automatically). A missing optional one is only a warning.
REQUIRED_MODULES="virtio_pci virtio_blk virtio_net crc32c_generic ext4 isofs"
OPTIONAL_MODULES="virtio_pci_modern_dev virtio_pci_legacy_dev
 9p 9pnet 9pnet_virtio netfs button evdev virtio_balloon virtiofs nfs nfsv4"

# The AKI: "bzimage" ships Debian's vmlinuz as is. "elf" (the default) ships
# the same kernel decompressed (an ELF vmlinux, file name "vmlinux"), which
# QEMU boots directly through its PVH entry point: under TCG this skips ~3 s
# of in-guest xz decompression per boot, for a ~66 MB file instead of ~8 MB.
KERNEL_FORMAT=${HOSTFLOW_TEST_KERNEL_FORMAT:-elf}
case "$KERNEL_FORMAT" in
    bzimage) AKI_FILE=vmlinuz ;;
    elf) AKI_FILE=vmlinux ;;
    *) echo "build-test-image: HOSTFLOW_TEST_KERNEL_FORMAT must be bzimage or elf" >&2; exit 2 ;;
esac

log() { echo "build-test-image: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

STATE_DIR=${HOSTFLOW_STATE_DIR:-/var/lib/hostflow}
OUTDIR=${1:-$STATE_DIR/images/test}
CACHE_DIR=$STATE_DIR/cache/debs
SCRIPT=$(readlink -f "${BASH_SOURCE[0]}")
SCRIPT_DIR=$(dirname "$SCRIPT")
GUEST_DIR=$SCRIPT_DIR/guest
GUEST_FILES="initramfs-init init netplan.awk acpi-powerbtn"

case "$OUTDIR" in
    /*) ;;
    *) OUTDIR=$PWD/$OUTDIR ;;
esac
OUTDIR=${OUTDIR%/}

# -------------------------------------------------------------- helpers --

# mkdir -p, with every directory it creates set to 0755 (QEMU runs as
# libvirt-qemu and must traverse them).
mkdir_0755() {
    local dir=$1 missing=() d
    d=$dir
    while [ ! -d "$d" ]; do
        missing+=("$d")
        d=$(dirname "$d")
    done
    local i
    for ((i = ${#missing[@]} - 1; i >= 0; i--)); do
        mkdir -m 0755 "${missing[$i]}" 2>/dev/null || [ -d "${missing[$i]}" ]
        chmod 0755 "${missing[$i]}"
    done
}

builder_hash() {
    {
        printf 'kernel_format=%s\nscript\n' "$KERNEL_FORMAT"
        cat "$SCRIPT"
        local f
        for f in $GUEST_FILES; do
            [ -f "$GUEST_DIR/$f" ] || die "missing guest file $GUEST_DIR/$f"
            printf '\nguest/%s\n' "$f"
            cat "$GUEST_DIR/$f"
        done
    } | sha256sum | cut -d' ' -f1
}

manifest_hash() {
    [ -f "$1" ] || return 0
    sed -n 's/.*"builder_hash": *"\([0-9a-f]*\)".*/\1/p' "$1" | head -n1
}

is_built() {
    local hash
    hash=$(manifest_hash "$OUTDIR/manifest.json")
    [ "$hash" = "$HASH" ] &&
        [ -f "$OUTDIR/$AKI_FILE" ] && [ -f "$OUTDIR/initrd.img" ] && [ -f "$OUTDIR/root.qcow2" ] &&
        [ -f "$OUTDIR/test.iso" ]
}

# apt-cache show (candidate versions) of the given packages, appended to
# $WORK/apt-info; one apt-cache run for all of them (each costs ~0.5 s).
APT_UPDATED=0
apt_load() {
    local missing=() p
    for p in "$@"; do
        [ -n "$(apt_field "$p" Package)" ] || missing+=("$p")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    apt-cache show --no-all-versions "${missing[@]}" >>"$WORK/apt-info" 2>/dev/null || true
    echo >>"$WORK/apt-info"
    for p in "${missing[@]}"; do
        if [ -z "$(apt_field "$p" Package)" ] && [ "$APT_UPDATED" = 0 ] && [ "$(id -u)" = 0 ]; then
            APT_UPDATED=1
            log "apt-cache knows no $p; running apt-get update"
            apt-get update -qq >&2 || true
            apt_load "${missing[@]}"
            return 0
        fi
    done
}

# Field $2 of package $1 from $WORK/apt-info ("" if unknown).
apt_field() {
    [ -f "$WORK/apt-info" ] || return 0
    awk -v pkg="$1" -v field="$2" '
        /^Package: / { cur = substr($0, 10) }
        /^$/ { cur = "" }
        cur == pkg && index($0, field ": ") == 1 { print substr($0, length(field) + 3); exit }
    ' "$WORK/apt-info"
}

# The kernel package that linux-image-amd64 points at.
kernel_package() {
    local dep
    dep=$(apt_field linux-image-amd64 Depends | tr ',' '\n' |
        sed -n 's/^ *\(linux-image-[0-9][^ ]*\).*/\1/p' | head -n1)
    if [ -z "$dep" ]; then
        # Offline: the newest kernel already in the cache.
        dep=$(find "$CACHE_DIR" -maxdepth 1 -name 'linux-image-[0-9]*-amd64_*.deb' -printf '%f\n' 2>/dev/null |
            sed 's/_.*//' | sort -V | tail -n1)
    fi
    [ -n "$dep" ] || die "cannot resolve the kernel package of linux-image-amd64"
    echo "$dep"
}

# Print the path of a cached .deb of package $1, downloading it if needed.
fetch_deb() {
    local pkg=$1 sha ver f
    sha=$(apt_field "$pkg" SHA256)
    ver=$(apt_field "$pkg" Version)
    if [ -n "$sha" ]; then
        for f in "$CACHE_DIR/${pkg}"_*.deb; do
            [ -f "$f" ] || continue
            if [ "$(sha256sum "$f" | cut -d' ' -f1)" = "$sha" ]; then
                log "using cached $(basename "$f")"
                echo "$f"
                return 0
            fi
        done
        log "downloading $pkg $ver"
        local dl
        dl=$(mktemp -d "$CACHE_DIR/.dl.XXXXXX")
        (cd "$dl" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
            { rm -rf "$dl"; die "apt-get download $pkg failed"; }
        f=$(find "$dl" -maxdepth 1 -name '*.deb' | head -n1)
        [ -n "$f" ] || { rm -rf "$dl"; die "apt-get download $pkg gave no .deb"; }
        if [ "$(sha256sum "$f" | cut -d' ' -f1)" != "$sha" ]; then
            rm -rf "$dl"
            die "$pkg: downloaded file does not match its SHA256"
        fi
        chmod 0644 "$f"
        mv -f "$f" "$CACHE_DIR/"
        rm -rf "$dl"
        echo "$CACHE_DIR/$(basename "$f")"
        return 0
    fi
    # apt knows nothing (offline, no lists): the newest cached one.
    f=$(find "$CACHE_DIR" -maxdepth 1 -name "${pkg}_*.deb" 2>/dev/null | sort -V | tail -n1)
    [ -n "$f" ] || die "package $pkg: not known to apt and not in $CACHE_DIR"
    log "apt does not know $pkg; using cached $(basename "$f")"
    echo "$f"
}

# Copy kernel module file $1 to $2 (a .ko), decompressing it if needed.
copy_module() {
    case "$1" in
        *.ko) cp "$1" "$2" ;;
        *.ko.xz) xz -dc "$1" >"$2" ;;
        *.ko.gz) gzip -dc "$1" >"$2" ;;
        *.ko.zst) zstd -qdc "$1" >"$2" ;;
        *) die "unknown module format: $1" ;;
    esac
}

# Decompress bzImage $1 into the ELF vmlinux $2 (like the kernel's
# scripts/extract-vmlinux): find the payload's compression magic, inflate.
extract_vmlinux() {
    local img=$1 out=$2 magic tool off
    for magic in 'xz:\xfd7zXZ\x00' 'gzip:\x1f\x8b\x08' 'zstd:\x28\xb5\x2f\xfd'; do
        tool=${magic%%:*}
        command -v "$tool" >/dev/null || continue
        for off in $(LC_ALL=C grep -aboP "${magic#*:}" "$img" | cut -d: -f1); do
            case "$tool" in
                xz) tail -c +$((off + 1)) "$img" | xz -dc --single-stream >"$out" 2>/dev/null || true ;;
                gzip) tail -c +$((off + 1)) "$img" | gzip -dc >"$out" 2>/dev/null || true ;;
                zstd) tail -c +$((off + 1)) "$img" | zstd -qdc >"$out" 2>/dev/null || true ;;
            esac
            if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
                return 0
            fi
        done
    done
    die "cannot find the compressed ELF kernel inside $img"
}

# Symlink every busybox applet under root directory $1 (except those in
# the remaining arguments).
install_busybox() {
    local root=$1 bb=$2 skip=" ${*:3} " applet
    install -D -m 0755 "$bb" "$root/bin/busybox"
    while read -r applet; do
        [ -n "$applet" ] || continue
        [ "$applet" = bin/busybox ] && continue
        case "$skip" in *" $applet "*) continue ;; esac
        mkdir -p "$root/$(dirname "$applet")"
        [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
    done < <("$bb" --list-full)
}

file_entry() {
    # JSON object for image file $1 with disk format $2.
    local path=$OUTDIR_TMP/$1
    printf '{"file": "%s", "disk_format": "%s", "container_format": "%s", "sha512": "%s", "size": %s}' \
        "$1" "$2" "$3" "$(sha512sum "$path" | cut -d' ' -f1)" "$(stat -c %s "$path")"
}

# ----------------------------------------------------------------- main --

HASH=$(builder_hash)
if is_built; then
    log "up to date: $OUTDIR (builder_hash ${HASH:0:12})"
    exit 0
fi

for tool in apt-get apt-cache dpkg-deb cpio gzip mkfs.ext4 qemu-img modinfo sha256sum sha512sum flock \
    grub-mkrescue xorriso; do
    command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[ -f "$GRUB_PC_DIR/cdboot.img" ] || die "missing $GRUB_PC_DIR/cdboot.img (Debian package grub-pc-bin)"

PARENT=$(dirname "$OUTDIR")
mkdir_0755 "$PARENT"
mkdir_0755 "$CACHE_DIR"

# One builder at a time for this OUTDIR; re-check after the wait.
exec 9>"$PARENT/.$(basename "$OUTDIR").lock"
flock 9
if is_built; then
    log "up to date: $OUTDIR (built by another run)"
    exit 0
fi

START=$(date +%s.%N)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hostflow-test-image.XXXXXX")
OUTDIR_TMP=$(mktemp -d "$PARENT/.$(basename "$OUTDIR").tmp.XXXXXX")
cleanup() { rm -rf "$WORK" "$OUTDIR_TMP" "${OLD_OUT:-}"; }
trap cleanup EXIT

# --- packages
apt_load linux-image-amd64 busybox-static
KPKG=$(kernel_package)
apt_load "$KPKG"
KDEB=$(fetch_deb "$KPKG")
BBDEB=$(fetch_deb busybox-static)
PACKAGES_JSON=""
for deb in "$KDEB" "$BBDEB"; do
    p=$(dpkg-deb -f "$deb" Package)
    v=$(dpkg-deb -f "$deb" Version)
    PACKAGES_JSON="$PACKAGES_JSON${PACKAGES_JSON:+, }\"$p\": \"$v\""
done

log "extracting $(basename "$KDEB")"
dpkg-deb -x "$KDEB" "$WORK/kernel"
dpkg-deb -x "$BBDEB" "$WORK/busybox"
BB=$WORK/busybox/bin/busybox
[ -x "$BB" ] || die "no bin/busybox in $(basename "$BBDEB")"

KVER=$(find "$WORK/kernel/lib/modules" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' | sort -V | tail -n1)
[ -n "$KVER" ] || die "no lib/modules/<version> in $(basename "$KDEB")"
VMLINUZ=$WORK/kernel/boot/vmlinuz-$KVER
[ -f "$VMLINUZ" ] || die "no boot/vmlinuz-$KVER in $(basename "$KDEB")"
MODDIR=$WORK/kernel/lib/modules/$KVER
log "kernel $KVER"

# --- modules, in dependency order
# index: module name (with '_') -> file
find "$MODDIR/kernel" -name '*.ko*' >"$WORK/modules.files"
BUILTIN=" $(sed -n 's|.*/\([^/]*\)\.ko$|\1|p' "$MODDIR/modules.builtin" 2>/dev/null | tr '-' '_' | tr '\n' ' ') "

module_file() {
    awk -v want="$1" '{
        n = $0; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n)
        if (n == want) { print; exit }
    }' "$WORK/modules.files"
}

ORDER=()
declare -A VISITED=()
add_module() {
    # add_module NAME REQUIRED(1|0)
    local name=${1//-/_} required=$2 file dep deps
    [ -n "${VISITED[$name]:-}" ] && return 0
    VISITED[$name]=1
    case "$BUILTIN" in *" $name "*) return 0 ;; esac
    file=$(module_file "$name")
    if [ -z "$file" ]; then
        [ "$required" = 1 ] && die "kernel $KVER has no module $name"
        log "note: kernel $KVER has no module $name (skipped)"
        return 0
    fi
    deps=$(modinfo -F depends "$file" | tr ',' ' ')
    for dep in $deps; do
        add_module "$dep" 1
    done
    ORDER+=("$name")
    copy_module "$file" "$WORK/initramfs/lib/modules/$KVER/$name.ko"
}

mkdir -p "$WORK/initramfs/lib/modules/$KVER" "$WORK/initramfs/etc"
for m in $REQUIRED_MODULES; do add_module "$m" 1; done
for m in $OPTIONAL_MODULES; do add_module "$m" 0; done
printf '%s\n' "${ORDER[@]}" >"$WORK/initramfs/etc/modules.order"
log "modules: ${ORDER[*]}"

# --- ARI: initramfs
IR=$WORK/initramfs
mkdir -p "$IR"/{dev,proc,sys,run,tmp,newroot,sbin,usr/bin,usr/sbin}
install_busybox "$IR" "$BB" linuxrc sbin/init
install -m 0755 "$GUEST_DIR/initramfs-init" "$IR/init"
if [ "$(id -u)" = 0 ]; then
    mknod -m 0600 "$IR/dev/console" c 5 1
    mknod -m 0666 "$IR/dev/null" c 1 3
fi
(cd "$IR" && find . -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc -R 0:0 --quiet) | gzip -6n >"$OUTDIR_TMP/initrd.img"

# --- AMI: root filesystem
RT=$WORK/rootfs
mkdir -p "$RT"/{dev,proc,sys,run,tmp,root,mnt,etc/acpi/PWRF,etc/hostflow,var/log,usr/bin,usr/sbin,sbin}
chmod 1777 "$RT/tmp"
chmod 0700 "$RT/root"
install_busybox "$RT" "$BB" linuxrc sbin/init
install -m 0755 "$GUEST_DIR/init" "$RT/sbin/init"
install -m 0755 "$GUEST_DIR/acpi-powerbtn" "$RT/etc/acpi/PWRF/00000080"
install -m 0644 "$GUEST_DIR/netplan.awk" "$RT/etc/hostflow/netplan.awk"
echo "hostflow-test" >"$RT/etc/hostname"
printf '127.0.0.1\tlocalhost\n' >"$RT/etc/hosts"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$RT/etc/passwd"
printf 'root:x:0:\n' >"$RT/etc/group"
printf '/dev/vda / ext4 rw 0 1\n' >"$RT/etc/fstab"
printf 'NAME=%s\nKERNEL=%s\nBUILDER_HASH=%s\n' "$IMAGE_NAME" "$KVER" "$HASH" >"$RT/etc/hostflow/release"
truncate -s "${ROOT_SIZE_MIB}M" "$WORK/root.raw"
mkfs.ext4 -q -F -L hostflow-root -E root_owner=0:0 -d "$RT" "$WORK/root.raw" >&2
qemu-img convert -f raw -O qcow2 "$WORK/root.raw" "$OUTDIR_TMP/root.qcow2"

# --- AKI: kernel
if [ "$KERNEL_FORMAT" = elf ]; then
    extract_vmlinux "$VMLINUZ" "$OUTDIR_TMP/vmlinux"
else
    cp "$VMLINUZ" "$OUTDIR_TMP/vmlinuz"
fi

# --- ISO: BIOS-bootable live CD of the same guest
# GRUB's "linux" cannot boot the ELF vmlinux: the ISO carries the bzImage.
# Its initrd is initrd.img followed by a second gzip'd newc cpio with the root
# filesystem's contents (the kernel unpacks concatenated archives in turn).
ISO=$WORK/iso
mkdir -p "$ISO/boot/grub"
cp "$VMLINUZ" "$ISO/boot/vmlinuz"
{
    cat "$OUTDIR_TMP/initrd.img"
    (cd "$RT" && find . -print0 | LC_ALL=C sort -z |
        cpio --null -o -H newc -R 0:0 --quiet) | gzip -6n
} >"$ISO/boot/initrd.img"
cat >"$ISO/boot/grub/grub.cfg" <<EOF
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial
echo "$IMAGE_NAME: booting from the ISO"
linux /boot/vmlinuz $ISO_CMDLINE
initrd /boot/initrd.img
boot
EOF
# Only the i386-pc platform (-d), only the modules grub.cfg needs (plus the
# partition maps GRUB's core image loads), no fonts, themes or translations;
# grub-mkrescue's own temporary files go to $WORK.
GRUB_MODULES="linux normal iso9660 biosdisk serial terminal echo test gzio $(tr '\n' ' ' <"$GRUB_PC_DIR/partmap.lst")"
TMPDIR=$WORK grub-mkrescue -d "$GRUB_PC_DIR" --compress=xz --fonts= --themes= --locales= \
    --install-modules="$GRUB_MODULES" \
    -o "$OUTDIR_TMP/test.iso" "$ISO" -- -volid HOSTFLOW_TEST >"$WORK/grub-mkrescue.log" 2>&1 ||
    { cat "$WORK/grub-mkrescue.log" >&2; die "grub-mkrescue failed"; }

# --- manifest
{
    printf '{\n'
    printf '  "name": "%s",\n' "$IMAGE_NAME"
    printf '  "cmdline": "%s",\n' "$CMDLINE"
    printf '  "kernel_version": "%s",\n' "$KVER"
    printf '  "kernel_format": "%s",\n' "$KERNEL_FORMAT"
    printf '  "packages": {%s},\n' "$PACKAGES_JSON"
    printf '  "files": {\n'
    printf '    "aki": %s,\n' "$(file_entry "$AKI_FILE" aki aki)"
    printf '    "ari": %s,\n' "$(file_entry initrd.img ari ari)"
    printf '    "ami": %s,\n' "$(file_entry root.qcow2 qcow2 bare)"
    printf '    "iso": %s\n' "$(file_entry test.iso iso bare)"
    printf '  },\n'
    printf '  "builder_hash": "%s"\n' "$HASH"
    printf '}\n'
} >"$OUTDIR_TMP/manifest.json"

chmod 0644 "$OUTDIR_TMP"/*
chmod 0755 "$OUTDIR_TMP"

# --- into place
if [ -e "$OUTDIR" ]; then
    OLD_OUT=$(mktemp -d "$PARENT/.$(basename "$OUTDIR").old.XXXXXX")
    mv "$OUTDIR" "$OLD_OUT/"
fi
mv "$OUTDIR_TMP" "$OUTDIR"
END=$(date +%s.%N)
log "built $OUTDIR in $(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.1f", b - a }') s (kernel $KVER, builder_hash ${HASH:0:12})"
