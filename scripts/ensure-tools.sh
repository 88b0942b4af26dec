#!/bin/sh
# Installs the programs diskimage drives (qemu-img from Debian's qemu-utils, prlimit from
# util-linux) and that its tests need (chattr from e2fsprogs: as root, only an immutable file
# cannot be deleted; cryptsetup from cryptsetup-bin: the oracle the crypto tests compare LUKS
# headers and passphrases with) when they are missing. With --tests, also what only the test
# suite needs: glance-api (Debian's glance-api package), the real Glance the catalog tests and
# it-tests run without Keystone (docs/glance.md), and nginx (Debian's nginx-light), the real
# HTTP mirror with autoindex listings the distro-image and template tests serve trees from;
# those tests fail, not skip, without them.
# Needs root or sudo only when something must be installed.
set -e
missing=""
command -v qemu-img >/dev/null 2>&1 || missing="$missing qemu-utils"
command -v prlimit >/dev/null 2>&1 || missing="$missing util-linux"
command -v chattr >/dev/null 2>&1 || missing="$missing e2fsprogs"
command -v cryptsetup >/dev/null 2>&1 || [ -x /usr/sbin/cryptsetup ] || missing="$missing cryptsetup-bin"
if [ "$1" = "--tests" ]; then
    { command -v glance-api >/dev/null 2>&1 && command -v glance-manage >/dev/null 2>&1; } \
        || [ -x /usr/bin/glance-api ] || missing="$missing glance-api"
    command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx-light"
fi
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "diskimage needs:$missing; run as root or install them with apt-get" >&2
    exit 1
fi
echo "installing:$missing" >&2
$as_root apt-get update -qq
# glance-api's maintainer scripts may try to start the service; in a container without an init
# system that only prints a warning. noninteractive answers its debconf questions with defaults.
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq $missing >/dev/null
