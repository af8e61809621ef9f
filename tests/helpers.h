#ifndef CMSGBUF_TEST_HELPERS_H
#define CMSGBUF_TEST_HELPERS_H

/* What every test program shares: fd accounting, qemu-user, and cmocka's headers. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
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
#include <netinet/in.h>
#include <cmocka.h>

/* Socket options and control messages newer than some libc headers (Debian 12's: Linux 6.1), by their asm-generic numbers. */
#ifndef SO_TIMESTAMPING_OLD
#define SO_TIMESTAMPING_OLD 37
#endif
#ifndef SO_TIMESTAMPING_NEW
#define SO_TIMESTAMPING_NEW 65
#endif
#ifndef SCM_DEVMEM_DMABUF
#define SCM_DEVMEM_DMABUF 79
#endif
#ifndef SO_RCVMARK
#define SO_RCVMARK 75
#endif
#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81
#endif
#ifndef SO_RCVPRIORITY
#define SO_RCVPRIORITY 82
#endif
#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52
#endif
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11
#endif
#ifndef IPV6_FREEBIND
#define IPV6_FREEBIND 78
#endif

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

/*
 * qemu-user receives into a host buffer of its own, larger than the guest's,
 * so the kernel cuts nothing; qemu then copies what fits, and may leave out
 * MSG_CTRUNC and leave open the fds that did not fit. Can a receive cut short
 * be observed here as the kernel makes it? Under qemu, @probe(@arg), a plain
 * truncated receive run by probe_in_child(), tells: 0 when it can, bit 0 for
 * a missing MSG_CTRUNC, bit 1 for fds left open, above 3 for a probe that
 * failed; @what names the receive in a TAP diagnostic. Natively: yes.
 */
static inline bool truncation_is_observable_by(int (*probe)(void *), void *arg, const char *what)
{
	int gap;

	if (!under_qemu())
		return true;
	gap = probe_in_child(probe, arg);
	if (gap == 0)
		return true;
	if (gap > 3)
		fail_msg("qemu-user, plain truncated %s: %d", what, gap);
	print_message("# qemu-user: a plain %s%s%s%s: the kernel's truncation is not observable here\n", what,
		      gap & 1 ? " lacks MSG_CTRUNC" : "", gap == 3 ? " and" : "",
		      gap & 2 ? " leaves open fds it did not hand out" : "");
	return false;
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

/* Sockets and files */

static inline void set_int_opt(int fd, int level, int name, int value)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) != 0)
		fail_msg("setsockopt(%d, %d): %s", level, name, strerror(errno));
}

/*
 * A socket option qemu-user lacks (SO_TXTIME, SO_RCVMARK, SO_RCVPRIORITY,
 * SO_TIMESTAMPING, the IPV6_FLOWINFO receive option: its setsockopt(2)
 * answers ENOPROTOOPT): false there, with a TAP diagnostic saying what is
 * not observable, and the test stops; a native run fails on any error.
 */
static inline bool set_opt_or_qemu_gap(int fd, int level, int name, const void *value, socklen_t len,
				       const char *what)
{
	if (setsockopt(fd, level, name, value, len) == 0)
		return true;
	if (under_qemu() && errno == ENOPROTOOPT) {
		print_message("# qemu-user: setsockopt(2) %s is ENOPROTOOPT: the kernel's answer is not "
			      "observable here\n", what);
		return false;
	}
	fail_msg("setsockopt %s: %s", what, strerror(errno));
	return false;
}

static inline bool set_int_opt_or_qemu_gap(int fd, int level, int name, int value, const char *what)
{
	return set_opt_or_qemu_gap(fd, level, name, &value, sizeof(value), what);
}

/* A receive that never hangs the suite: an absent message fails the test. */
static inline void set_recv_timeout(int fd)
{
	struct timeval tv = { 5, 0 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0)
		fail_msg("SO_RCVTIMEO: %s", strerror(errno));
}

static inline bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

static inline void assert_fd_count(int want, const char *when)
{
	int now = open_fd_count();

	if (now != want)
		fail_msg("%s: %d fds open, expected %d", when, now, want);
}

/* @n fds to send, each a distinct open file: the read ends of pipes. */
static inline void open_files(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int p[2];

		assert_int_equal(pipe(p), 0);
		close(p[1]);
		fds[i] = p[0];
	}
}

/* Closes @n fds; one already closed is no error (compare a test's asserting close). */
static inline void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
}

/*
 * A UDP receiver bound to loopback of @family that reports the IP fields it
 * receives (IP_RECVTOS and IP_RECVTTL, or IPV6_RECVTCLASS and
 * IPV6_RECVHOPLIMIT), and an unbound sender; @to and @tolen address the
 * receiver.
 */
struct udp {
	int rx, tx;
	union {
		struct sockaddr sa;
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} to;
	socklen_t tolen;
};

static inline void udp_open(struct udp *u, int family)
{
	memset(u, 0, sizeof(*u));
	u->rx = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	u->tx = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (u->rx < 0 || u->tx < 0)
		fail_msg("socket(%d, SOCK_DGRAM): %s", family, strerror(errno));
	if (family == AF_INET) {
		u->to.v4.sin_family = AF_INET;
		u->to.v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		u->tolen = sizeof(u->to.v4);
		set_int_opt(u->rx, IPPROTO_IP, IP_RECVTOS, 1);
		set_int_opt(u->rx, IPPROTO_IP, IP_RECVTTL, 1);
	} else {
		u->to.v6.sin6_family = AF_INET6;
		u->to.v6.sin6_addr = in6addr_loopback;
		u->tolen = sizeof(u->to.v6);
		set_int_opt(u->rx, IPPROTO_IPV6, IPV6_RECVTCLASS, 1);
		set_int_opt(u->rx, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
	}
	if (bind(u->rx, &u->to.sa, u->tolen) != 0)
		fail_msg("bind to %s: %s", family == AF_INET ? "127.0.0.1" : "::1", strerror(errno));
	if (getsockname(u->rx, &u->to.sa, &u->tolen) != 0)
		fail_msg("getsockname: %s", strerror(errno));
	set_recv_timeout(u->rx);
}

static inline void udp_close(struct udp *u)
{
	assert_int_equal(close(u->rx), 0);
	assert_int_equal(close(u->tx), 0);
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
