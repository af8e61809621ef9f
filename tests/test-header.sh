#!/bin/sh
# test-header INCLUDEDIR SRCDIR: cmsgbuf.h is self-contained and warning-free
# in every language mode a parent project may build in. test-header.c (which
# includes only cmsgbuf.h) compiles as C99, C11, C17 and C2x, strict and GNU,
# with gcc, clang and musl-gcc (musl's struct msghdr and cmsghdr have other
# field types than glibc's), and test-header-cxx.cpp as C++11, 14, 17 and 20
# with g++ and clang++, each with warnings as errors, -Wpedantic and the
# stricter warnings users turn on (not -Wold-style-cast: a C header cannot
# use C++ casts). C89 is not supported: inline, declarations after
# statements and in for loops, and bool are C99.
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
	for std in c99 gnu99 c11 gnu11 c17 gnu17 c2x gnu2x; do
		try $cc -std=$std $common -Wstrict-prototypes -Wmissing-prototypes "$src/test-header.c"
	done
done
for std in c++11 c++14 c++17 c++20; do
	try g++ -std=$std $common -Wzero-as-null-pointer-constant -Wuseless-cast "$src/test-header-cxx.cpp"
	try clang++ -std=$std $common -Wzero-as-null-pointer-constant "$src/test-header-cxx.cpp"
done
# defines NAME COMPILER ARGS...: compiled to an object, the header must
# define no cmsgbuf_ symbol there (the library is their one definition, or a
# program with two files that include it fails to link).
defines() {
	name=$1 cc=$2
	shift 2
	command -v "$cc" >/dev/null 2>&1 || return 0
	ran=$((ran + 1))
	tmp=$(mktemp -d)
	if ! "$cc" "$@" -I"$inc" -c "$src/test-header.c" -o "$tmp/t.o"; then
		echo "FAIL $name: does not compile"
		status=1
	elif nm "$tmp/t.o" | grep -E ' [TDBRW] cmsgbuf_' >"$tmp/defined"; then
		echo "FAIL $name: a caller's object file defines:"
		cat "$tmp/defined"
		status=1
	else
		echo "ok   $name: no cmsgbuf_ symbol defined in a caller's object file"
	fi
	rm -rf "$tmp"
}
for cc in gcc clang; do
	defines "$cc, C99 inline" $cc -std=c99 -O0
	defines "$cc, C11 inline" $cc -std=c11 -O0
	defines "$cc, GNU89 inline" $cc -std=gnu11 -fgnu89-inline -O0
done

# In C++ a copy of an inline function the compiler did not inline is the
# caller's weak symbol: it must take the caller's visibility, or a C++ shared
# library built with -fvisibility=hidden would export cmsgbuf_ functions.
for cxx in g++ clang++; do
	command -v "$cxx" >/dev/null 2>&1 || continue
	ran=$((ran + 1))
	tmp=$(mktemp -d)
	if ! "$cxx" -std=c++11 -O0 -fPIC -fvisibility=hidden -I"$inc" -c "$src/test-header-cxx.cpp" -o "$tmp/t.o"; then
		echo "FAIL $cxx -fvisibility=hidden: does not compile"
		status=1
	elif readelf -sW "$tmp/t.o" | awk '$8 ~ /^cmsgbuf_/ && $7 != "UND" && $5 != "LOCAL" && $6 != "HIDDEN"' | grep . >"$tmp/visible"; then
		echo "FAIL $cxx -fvisibility=hidden: copies of inline functions left visible:"
		cat "$tmp/visible"
		status=1
	else
		echo "ok   $cxx -fvisibility=hidden: the inline copies are hidden"
	fi
	rm -rf "$tmp"
done

[ $ran -gt 0 ] || exit 77
exit $status
