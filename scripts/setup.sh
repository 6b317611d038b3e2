#!/usr/bin/env bash
# Set up this machine for hostflow: Debian packages, the project's virtualenv,
# Swift's own virtualenv, the test guest image, the stock Debian image and the state
# directory.
#
# Idempotent: a second run only checks (dpkg-query, hashes of requirements.txt
# and requirements-swift.txt, the image builder's own checks) and takes a few
# seconds.
#
# Environment:
#   HOSTFLOW_STATE_DIR   state directory (default /var/lib/hostflow)
#   HOSTFLOW_BIN_DIR     where the `hostflow` command is linked (default /usr/local/bin)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/.venv"
REQUIREMENTS="$REPO/requirements.txt"
# OpenStack Swift (the local S3 endpoint) in a virtualenv of its own: it brings
# eventlet, which must not be imported by the project's processes.
SWIFT_VENV="$REPO/.venv-swift"
SWIFT_REQUIREMENTS="$REPO/requirements-swift.txt"
export HOSTFLOW_STATE_DIR="${HOSTFLOW_STATE_DIR:-/var/lib/hostflow}"

PACKAGES=(
  libvirt-daemon-system libvirt-clients libvirt-dev pkg-config
  qemu-system-x86 qemu-utils
  redis-server postgresql memcached
  bind9 bind9utils dnsutils
  nfs-ganesha nfs-ganesha-vfs  # a userspace NFS server for the NFS share test
  busybox-static e2fsprogs cpio kmod iproute2 iputils-ping genisoimage
  grub-pc-bin xorriso  # the test image's test.iso (grub-mkrescue, BIOS only; not grub-pc)
  lvm2 util-linux
  gcc python3-dev
  chromium  # the dashboard's browser test (Playwright drives it; no browser download)
  mmdebstrap grub-common fdisk openssh-client  # the stock Debian guest image and its SSH test
)

log() { printf 'setup: %s\n' "$*"; }
die() { printf 'setup: ERROR: %s\n' "$*" >&2; exit 1; }

# Print the packages of PACKAGES that dpkg does not report as installed.
missing_packages() {
  local -A installed=()
  local name status pkg
  # dpkg-query exits non-zero when it knows nothing about a package; the
  # packages it does print are what we need.
  # shellcheck disable=SC2016 # ${Package} is dpkg-query's, not the shell's
  while IFS=$'\t' read -r name status; do
    [[ "$status" == "installed" ]] && installed["$name"]=1
  done < <(dpkg-query -W -f='${Package}\t${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
  for pkg in "${PACKAGES[@]}"; do
    [[ -n "${installed[$pkg]:-}" ]] || printf '%s\n' "$pkg"
  done
}

install_packages() {
  local missing=()
  mapfile -t missing < <(missing_packages)
  if ((${#missing[@]} == 0)); then
    log "Debian packages: all ${#PACKAGES[@]} installed"
    return
  fi
  ((EUID == 0)) || die "packages missing (${missing[*]}): run as root"
  log "Debian packages missing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update
  apt-get install -y --no-install-recommends "${PACKAGES[@]}"
}

# setup_venv VENV REQUIREMENTS: create VENV if it is missing or broken and
# install REQUIREMENTS into it unless the hash stamp says it is done.
setup_venv() {
  local venv="$1" requirements="$2" stamp want have=""
  stamp="$venv/.requirements.sha256"
  [[ -f "$requirements" ]] || die "missing $requirements"
  if [[ ! -x "$venv/bin/python" ]] || ! "$venv/bin/python" -c '' 2>/dev/null; then
    command -v python3 >/dev/null || die "python3 not found on PATH"
    log "creating virtualenv $venv with $(command -v python3)"
    python3 -m venv --clear "$venv"
    rm -f "$stamp"
  fi
  want="$(sha256sum "$requirements" | cut -d' ' -f1)"
  [[ -f "$stamp" ]] && have="$(<"$stamp")"
  if [[ "$want" == "$have" ]]; then
    log "virtualenv ${venv##*/}: ${requirements##*/} unchanged"
    return
  fi
  log "virtualenv ${venv##*/}: installing ${requirements##*/}"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
  printf '%s\n' "$want" >"$stamp"
}

build_test_image() {
  local builder="$REPO/scripts/build-test-image.sh"
  if [[ -f "$builder" ]]; then
    log "test image: running scripts/build-test-image.sh"
    bash "$builder"
  else
    log "test image: scripts/build-test-image.sh not present, skipped"
  fi
}

# The stock Debian 12 cloud image (a whole disk with its own boot loader): ~70 s the
# first time, instant while scripts/build-debian-image.sh is unchanged.
build_debian_image() {
  log "Debian image: running scripts/build-debian-image.sh"
  bash "$REPO/scripts/build-debian-image.sh"
}

# The `hostflow` command: a wrapper in the virtualenv running this checkout's CLI,
# linked from /usr/local/bin when that is writable (as root). Rewritten only when
# its content changes, so a clone elsewhere takes the link over by running set-up.
install_cli() {
  local wrapper="$VENV/bin/hostflow" link="${HOSTFLOW_BIN_DIR:-/usr/local/bin}/hostflow" content
  # shellcheck disable=SC2016 # ${PYTHONPATH...} and "$@" are the wrapper's, not ours
  content="$(printf '#!/bin/sh\n# Written by scripts/setup.sh: the hostflow CLI of %s\nPYTHONPATH="%s${PYTHONPATH:+:$PYTHONPATH}" exec "%s" -m cli.main "$@"\n' \
    "$REPO" "$REPO" "$VENV/bin/python")"
  if [[ ! -f "$wrapper" || "$(<"$wrapper")" != "$content" ]]; then
    printf '%s\n' "$content" >"$wrapper"
    chmod 0755 "$wrapper"
  fi
  if [[ -w "$(dirname "$link")" ]]; then
    [[ "$(readlink "$link" 2>/dev/null)" == "$wrapper" ]] || ln -sfn "$wrapper" "$link"
    log "hostflow command: $link -> $wrapper"
  else
    log "hostflow command: $wrapper ($(dirname "$link") not writable: add $VENV/bin to PATH)"
  fi
}

# 0751: others may traverse it (QEMU to the node roots, bind, postgres), not list it;
# scripts/stack.sh up takes o+rwx off what lies in it (docs/operations.md).
vendor_xterm() {
  "$VENV/bin/python" "$REPO/scripts/vendor_xterm.py" || die "xterm.js could not be vendored"
}

make_state_dir() {
  mkdir -p "$HOSTFLOW_STATE_DIR"
  chmod 0751 "$HOSTFLOW_STATE_DIR"
  log "state directory: $HOSTFLOW_STATE_DIR"
}

main() {
  install_packages
  setup_venv "$VENV" "$REQUIREMENTS"
  setup_venv "$SWIFT_VENV" "$SWIFT_REQUIREMENTS"
  install_cli
  vendor_xterm
  # The state directory before the image: the builder writes its images there.
  make_state_dir
  build_test_image
  build_debian_image
  log "done"
}

main "$@"
