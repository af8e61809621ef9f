#ifndef CMSGBUF_TEST_HELPERS_H
#define CMSGBUF_TEST_HELPERS_H

/* What every test program shares: fd accounting, and cmocka's headers. */

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* The number of entries in /proc/self/fd, the directory's own fd excluded. */
static inline int open_fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the fd of d itself */
}

/*
 * Group setup and teardown that prove a whole program leaks no fd: the count
 * after the last test must equal the count before the first.
 */
static int fds_at_start;

static inline int fd_ledger_open(void **state)
{
	(void)state;
	fds_at_start = open_fd_count();
	return 0;
}

static inline int fd_ledger_close(void **state)
{
	int now = open_fd_count();

	(void)state;
	if (now != fds_at_start) {
		print_error("fd leak: %d fds open at start, %d at end\n", fds_at_start, now);
		return -1;
	}
	return 0;
}

#endif
