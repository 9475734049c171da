#!/bin/sh
# Installs the Debian 12 packages profrun needs to build, test and run.
# Idempotent: asks apt only for what is missing, and runs `apt-get update`
# only when something is. `install-deps.sh --check` lists what is missing and
# exits 1 if anything is, without installing; `--deb` adds the tools that
# build and check the Debian package (make deb).
set -eu

PKGS="make gcc clang llvm pkg-config libc6-dev libbpf-dev bpftool libelf-dev zlib1g-dev
luajit libluajit-5.1-dev liblzma-dev libiberty-dev util-linux procps
binutils elfutils xz-utils g++ libclang-rt-14-dev strace nodejs
golang-go chromium libxml2-utils jq python3 python3.11 python3.11-dbg gdb systemtap-sdt-dev
libcurl4-openssl-dev clickhouse-server protobuf-compiler libdw-dev libdebuginfod-dev libdebuginfod1
debuginfod perl man-db"
DEB_PKGS="debhelper dpkg-dev fakeroot lintian"
for a in "$@"; do
	[ "$a" = --deb ] && PKGS="$PKGS $DEB_PKGS"
done

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done

if [ -z "$missing" ]; then
	exit 0
fi
if [ "${1:-}" = "--check" ] || [ "${2:-}" = "--check" ]; then
	echo "missing:$missing"
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: need root to install:$missing" >&2
	echo "install-deps: run: sudo $0" >&2
	exit 1
fi
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
apt-get install -y -qq --no-install-recommends $missing >/dev/null
