#ifndef CMSGBUF_TEST_HELPERS_H
#define CMSGBUF_TEST_HELPERS_H

/* What every test program shares: fd accounting, qemu-user, and cmocka's headers. */

#include <dirent.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
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

/*
 * Under qemu-user (scripts/test-platforms sets CMSGBUF_TEST_UNDER_QEMU=1),
 * control messages pass through qemu's translation before the kernel sees
 * them. Where a test shows with a plain sendmsg(2) or recvmsg(2) that qemu
 * answers otherwise than the kernel, it says so in a TAP diagnostic and
 * asserts only what qemu can show. A native run never asks.
 */
static inline bool under_qemu(void)
{
	const char *v = getenv("CMSGBUF_TEST_UNDER_QEMU");

	return v && strcmp(v, "1") == 0;
}

/*
 * @probe(@arg) run in a child, for plain calls that may crash qemu or leave
 * fds open: its return value (0 to 127), or 128 + the signal that killed it.
 */
static inline int probe_in_child(int (*probe)(void *), void *arg)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(probe(arg));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Is ::1 configured (/proc/net/if_inet6)? Where it is not, the IPv6 tests say so. */
static inline bool ipv6_loopback_configured(void)
{
	FILE *f = fopen("/proc/net/if_inet6", "re");
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "00000000000000000000000000000001 ", 33) == 0)
			found = true;
	fclose(f);
	return found;
}

/* Do fds @sent and @received refer to the same open file (st_dev, st_ino)? */
static inline void assert_same_file(int sent, int received)
{
	struct stat a, b;

	assert_int_equal(fstat(sent, &a), 0);
	assert_int_equal(fstat(received, &b), 0);
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino)
		fail_msg("fd %d received for fd %d is another file", received, sent);
}

/*
 * Writes a struct cmsghdr at @base + @off, as a hostile or careless sender
 * might: any cmsg_len, any offset (through memcpy, so alignment is free).
 */
static inline void write_header(unsigned char *base, size_t off, size_t cmsg_len, int level, int type)
{
	struct cmsghdr h;

	memset(&h, 0, sizeof(h));
	h.cmsg_len = cmsg_len;
	h.cmsg_level = level;
	h.cmsg_type = type;
	memcpy(base + off, &h, sizeof(h));
}

#endif
