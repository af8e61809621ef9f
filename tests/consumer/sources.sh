#!/bin/sh
# sources SRCDIR: lib/*.c compiled as another build system would, with no
# Meson probe and no -D of Meson's, together with max-fds.c, by $CC and by
# musl-gcc (where musl's own sendmsg() fails above 1024 bytes of control
# data, so the library must go around it by itself); each program runs.
# A compiler that is not installed is reported and left out; none at all skips.
set -eu
src=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ran=0 status=0

for cc in "${CC:-cc}" musl-gcc; do
	if ! command -v "${cc%% *}" >/dev/null 2>&1; then
		echo "SKIP $cc: not installed"
		continue
	fi
	ran=$((ran + 1))
	# (static: a musl program then needs no musl loader to run)
	static=
	[ "$cc" = musl-gcc ] && static=-static
	if ! $cc -std=c11 -O2 -Wall -Wextra -Werror $static -I"$src/include" "$src"/lib/*.c \
		"$src/tests/consumer/max-fds.c" -o "$work/max-fds"; then
		echo "FAIL $cc: build"
		status=1
	elif "$work/max-fds"; then
		echo "ok   $cc: lib/*.c built directly sends CMSGBUF_MAX_FDS descriptors"
	else
		echo "FAIL $cc: run"
		status=1
	fi
done
[ $ran -gt 0 ] || exit 77
exit $status
