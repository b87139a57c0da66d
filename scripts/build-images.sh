#!/usr/bin/env bash
# Build the test "VPS" images (Debian 13 and 12 with systemd as PID 1, python3, sudo,
# openssh-server) from molecule/images/vps/Dockerfile. The Dockerfile says FROM debian:SUITE;
# when that cannot be pulled (no registry access), the base is made once with debootstrap
# and `docker import`, then tagged debian:SUITE locally so the same Dockerfile builds.
# Images are rebuilt only when missing or when their definition changed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

suites=("$@")
[[ ${#suites[@]} -gt 0 ]] || suites=(trixie bookworm)
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache_dir="${repo_root}/.cache/rootfs"

ensure_debian_base() {
  local suite="$1"
  docker image inspect "debian:${suite}" >/dev/null 2>&1 && return 0
  if timeout 60 docker pull "debian:${suite}" >/dev/null 2>&1; then
    return 0
  fi
  log "debian:${suite} cannot be pulled: making it with debootstrap (about a minute)"
  command -v debootstrap >/dev/null 2>&1 || {
    [[ $(id -u) -eq 0 ]] || die "debootstrap is missing: apt-get install debootstrap"
    apt-get install -y -qq debootstrap >/dev/null
  }
  local rootfs="${cache_dir}/${suite}" image_id
  rm -rf "$rootfs"
  mkdir -p "$rootfs"
  at_exit rm -rf -- "$rootfs"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"${cache_dir}/${suite}.log" 2>&1 \
    || die "debootstrap ${suite} failed; see ${cache_dir}/${suite}.log"
  # Like the official image: no apt lists, no docs.
  rm -rf "${rootfs}/var/lib/apt/lists/"* "${rootfs}/var/cache/apt/"*.bin
  # Imported untagged and tagged only when complete: an interrupted import (a truncated tar)
  # must not leave a debian:SUITE that later runs would take as the base.
  if ! image_id="$(tar -C "$rootfs" -c . | docker import -)"; then
    [[ -z "$image_id" ]] || docker rmi "$image_id" >/dev/null 2>&1 || true
    die "importing the ${suite} root file system into Docker failed"
  fi
  docker tag "$image_id" "debian:${suite}"
  rm -rf "$rootfs"
}

vps_dir="${repo_root}/molecule/images/vps"
definition="$(definition_hash "$vps_dir")"
for suite in "${suites[@]}"; do
  image="swissenergy-test/vps:${suite}"
  if [[ "$(image_label "$image" swissenergy.definition)" == "$definition" ]]; then
    log "${image} is current"
    continue
  fi
  ensure_debian_base "$suite"
  log "building ${image}"
  docker_build --quiet --build-arg "SUITE=${suite}" \
    --label "swissenergy.definition=${definition}" -t "$image" "$vps_dir" >/dev/null
done

# The service's base image (python slim, or its local stand-in) for the VPS's inner engine,
# which cannot pull either: saved once to a tar that scenarios mount and load.
base_image="$("${repo_root}/service/scripts/build-base-image.sh")"
mkdir -p "${repo_root}/.cache/images"
base_tar="${repo_root}/.cache/images/python-base.tar"
base_id="$(docker image inspect --format '{{.Id}}' "$base_image")"
if [[ ! -f "${base_tar}.id" || "$(cat "${base_tar}.id")" != "$base_id" ]]; then
  log "saving ${base_image} for the test VPSes"
  # Saved beside the tar and renamed when complete: scenarios never load a partial archive.
  at_exit rm -f -- "${base_tar}.partial"
  docker save "$base_image" -o "${base_tar}.partial"
  mv -f "${base_tar}.partial" "$base_tar"
  echo "$base_id" >"${base_tar}.id"
fi
