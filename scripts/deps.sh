#!/usr/bin/env bash
# Install the Debian packages gort needs.  Idempotent: when everything is
# present this is one dpkg-query (for all of them at once) and exits.
#   scripts/deps.sh          what `make`, `make check` and `make demo` need
#   scripts/deps.sh bench    also Go 1.19, its source (runtime-gdb.py) and GLib
set -eu

pkgs="gcc make gdb binutils python3 python3-pytest libcriterion-dev
      libdwarf-dev libdw-dev libelf-dev elfutils
      clang libclang-rt-14-dev python3-jsonschema"
if [ "${1:-}" = bench ]; then
    pkgs="$pkgs golang-1.19-go golang-1.19-src libglib2.0-dev libpcl1-dev time"
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "deps.sh: no dpkg-query: not a Debian system; install these yourself:" $pkgs >&2
    exit 1
fi
# One dpkg-query for the whole list: the names of those fully installed
# (a package dpkg has never heard of is only a complaint on stderr, and
# one removed but not purged is "deinstall ok config-files").
# shellcheck disable=SC2086
installed=" $(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null |
              sed -n 's/ install ok installed$//p' | tr '\n' ' ') "
missing=""
for p in $pkgs; do
    case "$installed" in
        *" $p "*) ;;
        *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "deps.sh: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "deps.sh: missing Debian packages:$missing" >&2
        echo "deps.sh: run as root: apt-get install$missing" >&2
        exit 1
    fi
else
    SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
# A stale or empty package list makes apt-get fail to find anything: refresh
# it once, then install.
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
