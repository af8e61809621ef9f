#!/bin/sh
# test-symbols LIBRARY VERSION-SCRIPT HEADER [GCC]: the shared library exports
# exactly the symbols that the version script names, each at its version node,
# and nothing else; its soname is libcmsgbuf.so.<major>. With GCC, also: the
# functions the header declares extern are exactly the script's. Nothing is
# hard-coded: adding a symbol to the header and the script is enough.
set -eu
lib=$1 sym=$2 header=$3 gcc=${4:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0

# report TITLE LIST: when LIST (one name a line) is not empty, says so and fails.
report() {
	[ -n "$2" ] || return 0
	echo "$1:"
	echo "$2" | sed 's/^/  /'
	status=1
}

# The script's global names as NAME@@NODE, and each node as a bare NODE (the
# linker defines one absolute symbol per version node).
awk '
{ sub(/#.*/, ""); text = text " " $0 }
END {
	gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, " ", text)
	gsub(/[{};]/, " & ", text)
	gsub(/:/, ": ", text)
	n = split(text, t, /[ \t\n]+/)
	inside = 0
	for (i = 1; i <= n; i++) {
		w = t[i]
		if (w == "" || w == ";") continue
		if (w == "{") { inside = 1; node = prev; scope = "global:"; print node; continue }
		if (w == "}") { inside = 0; continue }
		if (!inside) { prev = w; continue }
		if (w == "global:" || w == "local:") { scope = w; continue }
		if (scope != "global:") continue
		if (w ~ /[*?\[]/) { print "wildcard in global: " w > "/dev/stderr"; exit 1 }
		print w "@@" node
	}
}' "$sym" | LC_ALL=C sort -u >"$tmp/expected"
[ -s "$tmp/expected" ] || { echo "no symbols found in $sym"; exit 1; }

# What the library defines in its dynamic symbol table.
nm -D --defined-only "$lib" | awk '
	$2 == "A" { sub(/@.*/, "", $3); print $3; next }
	{ print $3 }' | LC_ALL=C sort -u >"$tmp/actual"

missing=$(LC_ALL=C comm -23 "$tmp/expected" "$tmp/actual")
leaked=$(LC_ALL=C comm -13 "$tmp/expected" "$tmp/actual")
report "named in $(basename "$sym") but not exported by $(basename "$lib")" "$missing"
report "exported by $(basename "$lib") but not named in $(basename "$sym")" "$leaked"
unprefixed=$(grep '@@' "$tmp/expected" | grep -v '^cmsgbuf_' || true)
report "public symbols without the cmsgbuf_ prefix" "$unprefixed"

soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
case $soname in
libcmsgbuf.so.[0-9]*) ;;
*) echo "soname is '$soname', expected libcmsgbuf.so.<major>"; status=1 ;;
esac

# The header's extern functions, as gcc itself lists them (-aux-info).
if [ -n "$gcc" ]; then
	printf '#include "%s"\n' "$header" >"$tmp/h.c"
	"$gcc" -std=c11 -fsyntax-only -aux-info "$tmp/aux" "$tmp/h.c"
	grep -F "/* $header:" "$tmp/aux" | grep -F ' */ extern ' |
		sed -E 's/ *\(.*//; s/.*[ *]//' | LC_ALL=C sort -u >"$tmp/declared"
	sed -n 's/@@.*//p' "$tmp/expected" >"$tmp/named"
	undeclared=$(LC_ALL=C comm -13 "$tmp/declared" "$tmp/named")
	unnamed=$(LC_ALL=C comm -23 "$tmp/declared" "$tmp/named")
	if [ -n "$unnamed" ]; then
		echo "declared extern in $(basename "$header") but not named in $(basename "$sym"):"
		echo "$unnamed" | sed 's/^/  /'
		status=1
	fi
	if [ -n "$undeclared" ]; then
		echo "named in $(basename "$sym") but not declared in $(basename "$header"):"
		echo "$undeclared" | sed 's/^/  /'
		status=1
	fi
fi

[ $status -ne 0 ] || echo "$(grep -c '@@' "$tmp/expected") symbols exported, all named in $(basename "$sym"), soname $soname"
exit $status
