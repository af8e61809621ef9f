#!/bin/sh
# subproject SRCROOT VERSION [TARBALL]: builds this directory's project, which
# takes cmsgbuf through subprojects/cmsgbuf.wrap (a [wrap-file] with a
# [provide] section) with werror=true and warning_level=3 and installs its
# program fd-pass, as its users' tools do: `meson install --destdir`, then
# fd-pass started from the DESTDIR with no LD_LIBRARY_PATH. Twice: with the
# parent's defaults, and with the parent asking -Ddefault_library=shared.
# Each time it checks that cmsgbuf as a subproject is linked in statically,
# installs nothing (the DESTDIR holds fd-pass alone), builds no tests, demo or
# fuzzers, and keeps its compile arguments to itself. TARBALL is a
# `meson dist` tarball; without it, the source tree at SRCROOT is packed the
# same way, uncommitted changes included. The tarball goes to
# subprojects/packagecache, where Meson looks before it downloads, so nothing
# touches the network. $CC picks the compiler.
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
status=0
fail() {
	echo "$*"
	status=1
}
# parent DIR NAME MESON-SETUP-ARGS...: configures build-DIR, builds, installs
# into dest-DIR and runs fd-pass from there; NAME says which parent in messages
parent() {
	build=build-$1 dest=$work/dest-$1 name=$2
	shift 2
	meson setup "$build" "$@" >"$build.setup.log" 2>&1 || { cat "$build.setup.log"; exit 1; }
	ninja -C "$build" >"$build.ninja.log" 2>&1 || { cat "$build.ninja.log"; exit 1; }
	meson install -C "$build" --no-rebuild --destdir "$dest" >"$build.install.log" 2>&1 ||
		{ cat "$build.install.log"; exit 1; }

	bin=$(find "$dest" -type f -name fd-pass)
	[ -n "$bin" ] || { fail "$name: meson install did not install fd-pass"; return; }
	others=$(cd "$dest" && find . ! -type d ! -name fd-pass)
	# shellcheck disable=SC2086 # one file a word
	[ -z "$others" ] || fail "$name: cmsgbuf as a subproject installs files:" $others
	echo "$name: meson install --destdir put ${bin#"$dest"} there; it needs" \
		"$(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')"
	# As the parent's users start it: from where it was installed, alone.
	env -u LD_LIBRARY_PATH "$bin" || fail "$name: the installed fd-pass does not run"

	extra=$(meson introspect --targets "$build" | python3 -c '
import json, sys
print(" ".join(t["name"] + " (" + t["type"] + ")" for t in json.load(sys.stdin)
               if t["subproject"] and (t["name"], t["type"]) != ("cmsgbuf", "static library")))')
	[ -z "$extra" ] || fail "$name: cmsgbuf as a subproject builds more than its static library: $extra"
	python3 -c '
import json, sys
sys.exit(any("fd-pass.c" in c["file"] and "-D_GNU_SOURCE" in c["command"]
             for c in json.load(open(sys.argv[1]))))' "$build/compile_commands.json" ||
		fail "$name: cmsgbuf leaks its own compile arguments (-D_GNU_SOURCE) into the consumer"
}
parent default "parent with its defaults"
parent shared "parent with -Ddefault_library=shared" -Ddefault_library=shared

[ $status -ne 0 ] ||
	echo "subproject: installed fd-pass runs from the DESTDIR, twice; cmsgbuf linked in, installed nothing, built only its library"
exit $status
