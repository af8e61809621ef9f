#!/bin/sh
# pkgconfig BUILDDIR SANITIZE: installs BUILDDIR with `meson install --destdir`,
# checks what landed there (library and soname link, header, cmsgbuf.pc, man
# pages), then builds fd-pass.c with a plain `cc $(pkg-config --cflags --libs
# cmsgbuf)` against that copy alone and runs it. $CC picks the compiler.
# A sanitizer build is skipped: its library needs the sanitizer runtime,
# which a plain cc line does not link.
set -eu
build=$1 sanitize=$2
here=$(cd "$(dirname "$0")" && pwd)
[ "$sanitize" = none ] || { echo "SKIP: b_sanitize=$sanitize"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest=$work/dest

meson install -C "$build" --no-rebuild --destdir "$dest" >"$work/install.log" 2>&1 ||
	{ cat "$work/install.log"; exit 1; }

status=0
need() {
	found=$(find "$dest" -name "$1" | head -n 1)
	[ -n "$found" ] || { echo "meson install did not install $1"; status=1; }
}
need cmsgbuf.h
need cmsgbuf.pc
need libcmsgbuf.so.1
need cmsgbuf.3
need cmsgbuf_send_push.3
[ $status -eq 0 ] || exit 1

pcdir=$(dirname "$(find "$dest" -name cmsgbuf.pc)")
libdir=$(dirname "$(find "$dest" -name libcmsgbuf.so.1)")
export PKG_CONFIG_LIBDIR="$pcdir" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$dest"
flags=$(pkg-config --cflags --libs cmsgbuf)
echo "pkg-config --cflags --libs cmsgbuf: $flags"
# shellcheck disable=SC2086 # $CC and $flags are word lists
${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$work/fd-pass" "$here/fd-pass.c" $flags

# Its own dynamic loader lists what it loads (glibc's ldd cannot read a
# program linked against musl); both loaders take --list.
interp=$(readelf -l "$work/fd-pass" | sed -n 's/.*program interpreter: \(.*\)]$/\1/p')
if ! LD_LIBRARY_PATH="$libdir" "$interp" --list "$work/fd-pass" | grep -q "libcmsgbuf.so.1 => $libdir/"; then
	echo "fd-pass does not load libcmsgbuf.so.1 from the installed copy:"
	LD_LIBRARY_PATH="$libdir" "$interp" --list "$work/fd-pass"
	exit 1
fi
LD_LIBRARY_PATH="$libdir" "$work/fd-pass"
