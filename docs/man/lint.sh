#!/bin/sh
# lint MANDIR HEADER PAGE...: the man pages are clean and complete.
#  - every page lints clean with `mandoc -T lint -W warning`;
#  - every link page is one `.so man3/PAGE.3` line naming a page that exists;
#  - every function and macro that HEADER makes public has a page or a link;
#  - PAGE... (what meson.build installs) is every page in MANDIR/man3.
set -eu
mandir=$1 header=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
shift 2
[ -r "$header" ] || { echo "lint: cannot read $header"; exit 1; }
cd "$mandir"
status=0

listed=$(for p in "$@"; do basename "$p"; done | sort)
present=$(cd man3 && ls -- *.3 | sort)
if [ "$listed" != "$present" ]; then
	echo "meson.build's man_pages and the pages in man3/ differ:"
	tmp=$(mktemp)
	echo "$listed" >"$tmp"
	echo "$present" | diff -u --label meson.build --label man3/ "$tmp" - || true
	rm -f "$tmp"
	status=1
fi

for page in man3/*.3; do
	if grep -q '^\.so ' "$page"; then
		target=$(sed -n 's/^\.so //p' "$page")
		if [ "$(wc -l <"$page")" -ne 1 ] || [ ! -f "$target" ] || grep -q '^\.so ' "$target"; then
			echo "$page: a link must be one line, .so man3/PAGE.3, naming a page"
			status=1
		fi
		continue
	fi
	out=$(mandoc -T lint -W warning "$page" 2>&1) || true
	if [ -n "$out" ]; then
		echo "$out"
		status=1
	fi
done

names=$({
	# not API: the include guard, the inline marker, CMSGBUF_PRIVATE_* and cmsgbuf_private_*
	sed -n -E 's/^#define (CMSGBUF_[A-Z0-9_]+).*/\1/p' "$header" |
		grep -vx -e CMSGBUF_H -e CMSGBUF_INLINE -e 'CMSGBUF_PRIVATE_.*'
	sed -n -E 's/^(CMSGBUF_INLINE )?[a-z][^(]*[ *](cmsgbuf_[a-z0-9_]+)\(.*/\2/p' "$header" |
		grep -vx 'cmsgbuf_private_.*'
} | sort -u)
for name in $names; do
	[ -f "man3/$name.3" ] || { echo "no man page for $name (add man3/$name.3, or a .so link)"; status=1; }
done

[ $status -ne 0 ] || echo "$(ls man3/*.3 | wc -l) pages and links lint clean; all $(echo "$names" | wc -l) public names have one"
exit $status
