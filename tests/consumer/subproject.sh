#!/bin/sh
# subproject SRCROOT VERSION [TARBALL]: builds this directory's project, which
# takes cmsgbuf through subprojects/cmsgbuf.wrap (a [wrap-file] with a
# [provide] section) with werror=true and warning_level=3, runs fd-pass, and
# checks that cmsgbuf as a subproject installs nothing and builds no tests,
# demo or fuzzers. TARBALL is a `meson dist` tarball; without it, the source
# tree at SRCROOT is packed the same way, uncommitted changes included. The
# tarball goes to subprojects/packagecache, where Meson looks before it
# downloads, so nothing touches the network. $CC picks the compiler.
set -eu
src=$1 version=$2 tarball=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
name=cmsgbuf-$version

cp -R "$here/meson.build" "$here/fd-pass.c" "$work/"
mkdir -p "$work/subprojects/packagecache"
if [ -n "$tarball" ]; then
	cp "$tarball" "$work/subprojects/packagecache/$name.tar.xz"
else
	# Build folders (as .gitignore names them, or anywhere: they hold a
	# build.ninja) stay out; so do subprojects/, cmsgbuf's own wraps.
	tar -C "$src" --exclude-vcs --exclude='./build*' --exclude=./builddir \
		--exclude-tag-all=build.ninja --exclude=./subprojects \
		--transform "s,^\\.,$name," -cJf "$work/subprojects/packagecache/$name.tar.xz" .
fi
sha=$(sha256sum "$work/subprojects/packagecache/$name.tar.xz" | cut -d' ' -f1)
sed -e "s,@VERSION@,$version,g" -e "s,@SHA256@,$sha,g" \
	-e "s,@URL@,file://$work/subprojects/packagecache/$name.tar.xz,g" \
	"$here/subprojects/cmsgbuf.wrap.in" >"$work/subprojects/cmsgbuf.wrap"

cd "$work"
meson setup build >setup.log 2>&1 || { cat setup.log; exit 1; }
ninja -C build >ninja.log 2>&1 || { cat ninja.log; exit 1; }
build/fd-pass

status=0
installed=$(meson introspect --installed build)
if [ "$installed" != "{}" ]; then
	echo "cmsgbuf as a subproject installs files: $installed"
	status=1
fi
extra=$(meson introspect --targets build | python3 -c '
import json, sys
print(" ".join(t["name"] for t in json.load(sys.stdin)
               if t["subproject"] and t["name"] != "cmsgbuf"))')
if [ -n "$extra" ]; then
	echo "cmsgbuf as a subproject builds more than its library: $extra"
	status=1
fi
if ! python3 -c '
import json, sys
sys.exit(any("fd-pass.c" in c["file"] and "-D_GNU_SOURCE" in c["command"]
             for c in json.load(open("build/compile_commands.json"))))'; then
	echo "cmsgbuf leaks its own compile arguments (-D_GNU_SOURCE) into the consumer"
	status=1
fi
[ $status -ne 0 ] || echo "subproject: fd-pass ok; nothing installed; only the library built"
exit $status
