/*
 * msan-fstat64: whether this toolchain's MemorySanitizer sees what fstat()
 * fills, with no cmsgbuf involved. Built as the fuzz targets are, with
 * -D_FILE_OFFSET_BITS=64 (Meson's default), glibc 2.33 and later name fstat
 * fstat64; clang 14's MSan intercepts fstat and __fxstat64 but not fstat64,
 * so it reports the struct stat the kernel filled as uninitialised.
 * scripts/oss-fuzz-check builds and runs it under SANITIZER=memory: exit 0
 * and that message, or MSan's report (exit 1 with halt_on_error).
 * kernel_roundtrip_fuzzer unpoisons after fstat (fstat_known) for this.
 */

#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

int main(void)
{
	struct stat st;
	int fd = memfd_create("msan-fstat64", 0);

	if (fd < 0 || fstat(fd, &st) < 0)
		return 2;
	if (st.st_ino != 0)
		puts("the struct stat fstat filled is initialised");
	return 0;
}
