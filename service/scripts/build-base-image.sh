#!/usr/bin/env bash
# Print the BASE_IMAGE to build the service image from.
#
# The official python:3.13-slim when it is present or can be pulled; otherwise (no registry
# access) a local stand-in, swissenergy/python-base:trixie, made once with debootstrap from
# Debian's mirror and `docker import`: Debian 13 has Python 3.13, and the stand-in includes
# libgomp1 (LightGBM) and python3-venv. Only the image name goes to stdout; progress to stderr.
#   BASE_IMAGE="$(service/scripts/build-base-image.sh)"
set -euo pipefail

official="${OFFICIAL_BASE_IMAGE:-python:3.13-slim}"
fallback="${FALLBACK_BASE_IMAGE:-swissenergy/python-base:trixie}"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

log() { printf '>> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
present() { docker image inspect "$1" >/dev/null 2>&1; }

command -v docker >/dev/null 2>&1 || die "docker is not installed"
# Two builds at once must not debootstrap twice.
exec 9>"${TMPDIR:-/tmp}/swissenergy-build-base-image.lock"
flock 9

if present "$official"; then echo "$official"; exit 0; fi
if present "$fallback"; then echo "$fallback"; exit 0; fi
if timeout "${PULL_TIMEOUT:-60}" docker pull "$official" >/dev/null 2>&1; then
  echo "$official"; exit 0
fi

log "$official cannot be pulled: making $fallback with debootstrap (about a minute)"
if ! command -v debootstrap >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    die "debootstrap is missing (apt-get install debootstrap)"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi
rootfs="$(mktemp -d "${TMPDIR:-/tmp}/swissenergy-base.XXXXXX")"
# Removed however the script ends; INT and TERM become exits so that the EXIT trap runs.
trap 'rm -rf "$rootfs"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
debootstrap --variant=minbase \
  --include=python3,python3-venv,python3-pip,libgomp1,ca-certificates \
  trixie "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || die "debootstrap failed; see $rootfs.log"
rm -f "$rootfs.log"
# Like the official image: no apt lists or caches; `python` on PATH as well as `python3`.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin
ln -sf python3 "$rootfs/usr/bin/python"
# Imported untagged and tagged only when complete: an interrupted import (a truncated tar)
# must not leave a $fallback that later runs would take as made.
if ! image_id="$(tar -C "$rootfs" -c . | docker import \
  --change 'ENV LANG=C.UTF-8' --change 'CMD ["python3"]' -)"; then
  [[ -z "$image_id" ]] || docker rmi "$image_id" >/dev/null 2>&1 || true
  die "importing the root file system into Docker failed"
fi
docker tag "$image_id" "$fallback"
log "made $fallback"
echo "$fallback"
