#!/bin/sh
# test-header INCLUDEDIR SRCDIR: cmsgbuf.h is self-contained and warning-free.
# test-header.c (which includes only cmsgbuf.h) compiles as C11 with gcc,
# clang and musl-gcc (musl's struct msghdr and cmsghdr have other field
# types than glibc's), and test-header-cxx.cpp as C++11 with g++ and
# clang++, each with warnings as errors, -Wpedantic and the stricter warnings
# users turn on (not -Wold-style-cast: a C header cannot use C++ casts).
# A compiler that is not installed is reported and left out; none at all skips.
set -eu
inc=$1 src=$2
common="-Wall -Wextra -Wpedantic -Werror -Wconversion -Wsign-conversion -Wshadow -Wcast-qual -Wundef"
ran=0 status=0

try() {
	cc=$1
	shift
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "SKIP $cc: not installed"
		return
	fi
	ran=$((ran + 1))
	if "$cc" "$@" -I"$inc" -fsyntax-only; then
		echo "ok   $cc $*"
	else
		echo "FAIL $cc $*"
		status=1
	fi
}

for cc in gcc clang musl-gcc; do
	try $cc -std=c11 $common -Wstrict-prototypes -Wmissing-prototypes "$src/test-header.c"
done
for cxx in g++ clang++; do
	try $cxx -std=c++11 $common -Wzero-as-null-pointer-constant "$src/test-header-cxx.cpp"
done
[ $ran -gt 0 ] || exit 77
exit $status
