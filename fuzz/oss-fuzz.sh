#!/bin/bash -eu
# The OSS-Fuzz (and ClusterFuzzLite) build.sh body for cmsgbuf: builds the
# static library and the fuzz targets with $CC, $CFLAGS (the sanitizer and
# -fsanitize=fuzzer-no-link) and links the targets alone with
# $LIB_FUZZING_ENGINE; then puts in $OUT, per target: the executable, its
# .dict and .options, and <target>_seed_corpus.zip of fuzz/corpus/<target>/.
# scripts/oss-fuzz-check runs it locally with the base image's environment.
src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=$WORK/cmsgbuf-build-$SANITIZER

rm -rf "$build"
# tests and demo off: they need cmocka, and the fuzz targets do not.
meson setup "$build" "$src" \
	-Dfuzzing=oss-fuzz \
	-Dfuzzer_ldflags="$LIB_FUZZING_ENGINE" \
	-Ddefault_library=static \
	-Dbuildtype=plain \
	-Db_lundef=false \
	-Dtests=disabled \
	-Ddemo=disabled
ninja -C "$build"

for target_src in "$src"/fuzz/*_fuzzer.c; do
	target=$(basename "$target_src" .c)
	cp "$build/fuzz/$target" "$OUT/"
	for extra in dict options; do
		if [[ -f $src/fuzz/$target.$extra ]]; then
			cp "$src/fuzz/$target.$extra" "$OUT/"
		fi
	done
	rm -f "$OUT/${target}_seed_corpus.zip"
	if [[ -d $src/fuzz/corpus/$target ]]; then
		(cd "$src/fuzz/corpus/$target" && zip -q -j "$OUT/${target}_seed_corpus.zip" ./*)
	fi
done
