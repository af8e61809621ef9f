/*
 * What the kernel does with control messages, observed through real sockets.
 *
 * Two kinds of test live here. The first sends buffers that cmsgbuf built,
 * through each sendmsg wrapper, and checks with a plain recvmsg(2) and a
 * hand-written CMSG_FIRSTHDR/CMSG_NXTHDR walk that what arrives is what was
 * pushed: the same open files (st_dev and st_ino), the same credentials, the
 * same IP header fields. The second backs each rule of cmsgbuf_send_push() by
 * evidence: it hand-crafts the bytes the rule refuses with the libc's CMSG_*
 * macros in a zeroed buffer, sends them with a raw sendmsg(2), asserts what
 * the kernel does with them (rejects, drops, merges, overrides), and shows in
 * the same test that push refuses the same message with the documented errno.
 *
 * The space cmsgbuf builds in is left uninitialised on purpose: valgrind then
 * reports any padding byte push forgot to zero when sendmsg(2) reads it.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <poll.h>
#include <netinet/ip.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>

#include "cmsgbuf.h"
#include "helpers.h"

/* musl-gcc leaves the kernel's headers out: there, IP_PROTOCOL's rule is not set up. */
#if defined(__has_include)
#if __has_include(<linux/rtnetlink.h>)
#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>
#define HAVE_LINUX_RTNETLINK_H 1
#endif
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef VALGRIND_DISABLE_ERROR_REPORTING
#define VALGRIND_DISABLE_ERROR_REPORTING do { } while (0)
#define VALGRIND_ENABLE_ERROR_REPORTING do { } while (0)
#endif

/* A SOL_SOCKET type the kernel only ever sends up; no libc header names it. */
#ifndef SCM_SECURITY
#define SCM_SECURITY 3
#endif
/* include/uapi/linux/net_tstamp.h */
#define TS_TX_SOFTWARE (1u << 1)
#define TS_SOFTWARE (1u << 4)
#define TS_TX_COMPLETION (1u << 18)

/* Room for the most a test sends in one hand-crafted buffer: 200 + 100 fds. */
#define CRAFT_FDS 300

static char one_byte = 'x';

static void expect_errno(int got, int want, const char *what)
{
	if (got != want)
		fail_msg("%s: got %s (%d), expected %s (%d)", what,
			 got ? strerror(got) : "success", got, want ? strerror(want) : "success", want);
}

/* Sockets and files */

static void open_pair(int type, int sv[2])
{
	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0)
		fail_msg("socketpair(%d): %s", type, strerror(errno));
	set_recv_timeout(sv[1]);
}

static void close_fds(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(close(fds[i]), 0);
}

/* @n files, each a different inode, so that fstat() tells them apart: memfds (no pipe's second end to close). */
static void open_memfds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fds[i] = memfd_create("cmsgbuf-test-kernel", MFD_CLOEXEC);
		if (fds[i] < 0)
			fail_msg("memfd_create: %s", strerror(errno));
	}
}

/* The IPv6 tests pass without a word only where ::1 does not exist at all. */
static bool ipv6_or_say_why_not(void)
{
	if (ipv6_loopback_configured())
		return true;
	print_message("# ::1 is not configured on this machine: IPv6 not exercised\n");
	return false;
}

/* Receiving: plain recvmsg(2) and the libc's walk */

struct received {
	ssize_t bytes;
	size_t nmsgs;		/* control messages of any kind */
	size_t rights_msgs;
	size_t nfds;
	int fds[CMSGBUF_MAX_FDS];
	size_t cred_msgs;
	struct ucred cred;
	int ip_tos, ip_ttl, tclass, hoplimit, priority;	/* -1 when absent */
	int ip_options;		/* the length of the IP options (IP_RECVOPTS); -1 when absent */
	struct sockaddr_storage from;
};

static int int_payload(const struct cmsghdr *c)
{
	int v;

	assert_int_equal(c->cmsg_len, CMSG_LEN(sizeof(v)));
	memcpy(&v, CMSG_DATA(c), sizeof(v));
	return v;
}

static void take(struct received *r, const struct cmsghdr *c)
{
	size_t len = c->cmsg_len - CMSG_LEN(0);

	r->nmsgs++;
	if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
		size_t n = len / sizeof(int);

		assert_true(n <= CMSGBUF_MAX_FDS - r->nfds);
		memcpy(r->fds + r->nfds, CMSG_DATA(c), n * sizeof(int));
		r->nfds += n;
		r->rights_msgs++;
	} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
		assert_int_equal(len, sizeof(r->cred));
		memcpy(&r->cred, CMSG_DATA(c), sizeof(r->cred));
		r->cred_msgs++;
	} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TOS) {
		assert_int_equal(len, 1);
		r->ip_tos = *CMSG_DATA(c);
	} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) {
		r->ip_ttl = int_payload(c);
	} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_TCLASS) {
		r->tclass = int_payload(c);
	} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT) {
		r->hoplimit = int_payload(c);
	} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_PRIORITY) {
		r->priority = int_payload(c);
	} else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVOPTS) {
		r->ip_options = (int)len;
	}
}

/* One message from @fd; its fds are the caller's to close (close_received). */
static void receive(int fd, struct received *r)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(sizeof(struct ucred)) +
				    CMSG_SPACE(CMSGBUF_MAX_FDS * sizeof(int)) + 4 * CMSG_SPACE(sizeof(int)) +
				    CMSG_SPACE(40)];
	} control;
	char data[16];
	struct iovec iov = { data, sizeof(data) };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.bytes,
		.msg_controllen = sizeof(control.bytes),
	};

	memset(r, 0, sizeof(*r));
	mh.msg_name = &r->from;
	mh.msg_namelen = sizeof(r->from);
	r->ip_tos = r->ip_ttl = r->tclass = r->hoplimit = r->priority = r->ip_options = -1;
	r->bytes = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	if (r->bytes < 0)
		fail_msg("recvmsg: %s", strerror(errno));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
		take(r, c);
	if (mh.msg_flags & MSG_CTRUNC)
		fail_msg("recvmsg: MSG_CTRUNC with a %zu-byte buffer", sizeof(control.bytes));
	for (size_t i = 0; i < r->nfds; i++)
		if (!(fcntl(r->fds[i], F_GETFD) & FD_CLOEXEC))
			fail_msg("fd %d received without FD_CLOEXEC", r->fds[i]);
}

static void close_received(struct received *r)
{
	close_fds(r->fds, r->nfds);
	r->nfds = 0;
}

/* Sending: one byte of data, so that stream sockets carry the control data */

/* sendmsg(2) with @b's messages to @to (NULL: the connected peer): 0 or errno. */
static int send_built(int fd, const struct sockaddr *to, socklen_t tolen, const struct cmsgbuf_send *b)
{
	struct iovec iov = { &one_byte, 1 };
	ssize_t n = cmsgbuf_sendmsg_any(fd, to, tolen, &iov, 1, b, 0);

	if (n < 0)
		return errno;
	assert_int_equal(n, 1);
	return 0;
}

/*
 * A hand-crafted control buffer: zeroed, aligned, laid out with the libc's
 * CMSG_FIRSTHDR/CMSG_NXTHDR, never through cmsgbuf. len is what sendmsg(2)
 * gets as msg_controllen; a test may change it before sending.
 */
struct crafted {
	_Alignas(struct cmsghdr) unsigned char bytes[2 * CMSG_SPACE(CRAFT_FDS * sizeof(int))];
	struct msghdr mh;
	struct cmsghdr *last;
	size_t len;
};

static void craft_init(struct crafted *c)
{
	memset(c, 0, sizeof(*c));
	c->mh.msg_control = c->bytes;
	c->mh.msg_controllen = sizeof(c->bytes);
}

static void craft_add(struct crafted *c, int level, int type, const void *data, size_t len)
{
	struct cmsghdr *h = c->last ? CMSG_NXTHDR(&c->mh, c->last) : CMSG_FIRSTHDR(&c->mh);

	assert_non_null(h);
	h->cmsg_len = CMSG_LEN(len);
	h->cmsg_level = level;
	h->cmsg_type = type;
	if (len)
		memcpy(CMSG_DATA(h), data, len);
	c->last = h;
	c->len = (size_t)((unsigned char *)h - c->bytes) + CMSG_SPACE(len);
}

static void craft_int(struct crafted *c, int level, int type, int value)
{
	craft_add(c, level, type, &value, sizeof(value));
}

/*
 * A libc whose cmsg_len is narrower than the kernel's (musl on 64-bit) copies
 * the control data into 1024 bytes of stack to widen it, and refuses more
 * with ENOMEM before the kernel sees them. Crafted bytes are zeroed, so
 * already in the kernel's layout: they go to the kernel directly, as in
 * lib/sendmsg.c, and the test shows the kernel's answer.
 */
static ssize_t kernel_sendmsg(int fd, const struct msghdr *mh)
{
#ifdef SYS_sendmsg
	if (sizeof(((struct cmsghdr *)0)->cmsg_len) < sizeof(size_t))
		return syscall(SYS_sendmsg, fd, mh, 0);
#endif
	return sendmsg(fd, mh, 0);
}

/* Raw sendmsg(2) of the crafted bytes to @to (NULL: the connected peer): 0 or errno. */
static int craft_send(struct crafted *c, int fd, const struct sockaddr *to, socklen_t tolen)
{
	struct iovec iov = { &one_byte, 1 };
	struct msghdr mh = {
		.msg_name = (void *)(uintptr_t)to,
		.msg_namelen = to ? tolen : 0,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = c->bytes,
		.msg_controllen = c->len,
	};
	ssize_t n = kernel_sendmsg(fd, &mh);

	if (n < 0)
		return errno;
	assert_int_equal(n, 1);
	return 0;
}

/*
 * qemu-user converts the payloads of SCM_RIGHTS and SCM_CREDENTIALS between
 * guest and host byte order and copies all others as they are (its -d unimp
 * log says "Unsupported ancillary data"), so from a big-endian guest (s390x)
 * the little-endian kernel reads an int 64 as 0x40000000. Does an int IP payload
 * reach the kernel as sent? Under qemu, a plain sendmsg(2) of IP_TTL 64
 * tells, and if not, a TAP diagnostic says why the kernel's answer is not
 * observable here. Natively: yes, without asking.
 */
static bool ip_ints_reach_the_kernel(void)
{
	struct crafted c;
	struct received r;
	struct udp u;
	int err;

	if (!under_qemu())
		return true;
	udp_open(&u, AF_INET);
	craft_init(&c);
	craft_int(&c, IPPROTO_IP, IP_TTL, 64);
	err = craft_send(&c, u.tx, &u.to.sa, u.tolen);
	if (!err) {
		receive(u.rx, &r);
		assert_int_equal(r.ip_ttl, 64);
	}
	udp_close(&u);
	if (!err)
		return true;
	/* The one known difference, and no other. */
	expect_errno(err, EINVAL, "qemu-user, plain sendmsg(2) of IP_TTL 64");
	print_message("# qemu-user: a plain sendmsg(2) of IP_TTL 64 fails with EINVAL (qemu passes IP "
		      "payloads unswapped to a kernel of the other byte order): the kernel's answer to int "
		      "IP payloads is not observable here\n");
	return false;
}

/*
 * Do SO_TIMESTAMPING flags reach the kernel as sent? Under qemu, from a guest
 * of the other byte order, a plain sendmsg(2) of SO_TIMESTAMPING_OLD
 * SOF_TIMESTAMPING_TX_SOFTWARE reaches the kernel as 0x02000000, a bit
 * outside the record mask (EINVAL): as ip_ints_reach_the_kernel(), the plain
 * call tells, and a TAP diagnostic says so. Natively: yes, without asking.
 */
static bool timestamping_flags_reach_the_kernel(void)
{
	unsigned int tx = TS_TX_SOFTWARE;
	struct crafted c;
	struct received r;
	struct udp u;
	int err;

	if (!under_qemu())
		return true;
	udp_open(&u, AF_INET);
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SO_TIMESTAMPING_OLD, &tx, sizeof(tx));
	err = craft_send(&c, u.tx, &u.to.sa, u.tolen);
	if (!err)
		receive(u.rx, &r);
	udp_close(&u);
	if (!err)
		return true;
	expect_errno(err, EINVAL, "qemu-user, plain sendmsg(2) of SO_TIMESTAMPING_OLD TX_SOFTWARE");
	print_message("# qemu-user: a plain sendmsg(2) of SO_TIMESTAMPING_OLD SOF_TIMESTAMPING_TX_SOFTWARE "
		      "fails with EINVAL (qemu passes its flags unswapped to a kernel of the other byte "
		      "order): the kernel's answer to SO_TIMESTAMPING flags is not observable here\n");
	return false;
}

/* A datagram pair, a file, and a crafted buffer holding one rights message for it. */
struct fd_case {
	int sv[2];
	int file;
	struct crafted c;
};

static void fd_case_open(struct fd_case *k)
{
	open_pair(SOCK_DGRAM, k->sv);
	open_memfds(&k->file, 1);
	craft_init(&k->c);
	craft_add(&k->c, SOL_SOCKET, SCM_RIGHTS, &k->file, sizeof(k->file));
}

static void fd_case_close(struct fd_case *k)
{
	close_fds(&k->file, 1);
	close_fds(k->sv, 2);
}

/*
 * Push @m after @before (n messages, each accepted) into a large buffer: push
 * must refuse it with @err and leave the buffer's length as it was.
 */
static void expect_push_refused(const struct cmsgbuf_msg *before, size_t n, struct cmsgbuf_msg m, int err)
{
	static union {
		struct cmsghdr align;
		unsigned char bytes[2 * CMSG_SPACE(CRAFT_FDS * sizeof(int))];
	} space;
	struct cmsgbuf_send b;
	size_t len;

	cmsgbuf_send_init(&b, space.bytes, sizeof(space.bytes));
	for (size_t i = 0; i < n; i++)
		assert_true(cmsgbuf_send_push(&b, before[i]));
	len = cmsgbuf_send_controllen(&b);
	errno = 0;
	if (cmsgbuf_send_push(&b, m))
		fail_msg("push took a message (level %d, type %d, %zu bytes) its rule refuses",
			 m.level, m.type, m.len);
	expect_errno(errno, err, "push");
	assert_int_equal(cmsgbuf_send_controllen(&b), len);
}

/* Push @m alone into a large buffer: push must take it. */
static void expect_push_taken(struct cmsgbuf_msg m)
{
	static union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(64)];
	} space;
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space.bytes, sizeof(space.bytes));
	if (!cmsgbuf_send_push(&b, m))
		fail_msg("push refused a message (level %d, type %d, %zu bytes) the kernel takes: %s",
			 m.level, m.type, m.len, strerror(errno));
}

/* 1. Descriptors pushed with cmsgbuf arrive as the same open files */

static void fds_arrive_as_the_same_files(int type)
{
	static const size_t counts[] = { 1, 2, CMSGBUF_MAX_FDS };

	for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
		size_t n = counts[k];
		/* One byte more than needed: the buffer starts misaligned on purpose. */
		unsigned char space[1 + CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS))];
		int sent[CMSGBUF_MAX_FDS], sv[2];
		struct iovec iov = { &one_byte, 1 };
		struct cmsgbuf_send b;
		struct received r;

		open_pair(type, sv);
		open_memfds(sent, n);
		cmsgbuf_send_init(&b, space + 1, CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(n)));
		assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(sent, n)));
		assert_int_equal(cmsgbuf_sendmsg(sv[0], &iov, 1, &b, 0), 1);
		receive(sv[1], &r);
		assert_int_equal(r.bytes, 1);
		assert_int_equal(r.rights_msgs, 1);
		assert_int_equal(r.nfds, n);
		for (size_t i = 0; i < n; i++)
			assert_same_file(sent[i], r.fds[i]);
		close_received(&r);
		close_fds(sent, n);
		close_fds(sv, 2);
	}
}

static void fds_1_2_253_arrive_as_the_same_files_over_stream(void **state)
{
	(void)state;
	fds_arrive_as_the_same_files(SOCK_STREAM);
}

static void fds_1_2_253_arrive_as_the_same_files_over_dgram(void **state)
{
	(void)state;
	fds_arrive_as_the_same_files(SOCK_DGRAM);
}

static void fds_1_2_253_arrive_as_the_same_files_over_seqpacket(void **state)
{
	(void)state;
	fds_arrive_as_the_same_files(SOCK_SEQPACKET);
}

/* 2. Credentials */

static const int socket_types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };

static void assert_own_credentials(const struct received *r)
{
	assert_int_equal(r->cred_msgs, 1);
	assert_int_equal(r->cred.pid, getpid());
	assert_int_equal(r->cred.uid, getuid());
	assert_int_equal(r->cred.gid, getgid());
}

/* One byte with the caller's own credentials, pushed, on @fd. */
static void send_own_credentials(int fd)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE)];
	struct cmsgbuf_ucred cred = { getpid(), getuid(), getgid() };
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(&cred)));
	expect_errno(send_built(fd, NULL, 0, &b), 0, "sendmsg");
}

static void pushed_credentials_arrive_as_sent(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(socket_types) / sizeof(socket_types[0]); t++) {
		struct received r;
		int sv[2];

		open_pair(socket_types[t], sv);
		set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
		send_own_credentials(sv[0]);
		receive(sv[1], &r);
		assert_own_credentials(&r);
		assert_int_equal(r.nfds, 0);
		close_fds(sv, 2);
	}
}

static void credentials_and_fds_in_one_buffer_arrive_together(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(socket_types) / sizeof(socket_types[0]); t++) {
		unsigned char space[CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE + CMSGBUF_RIGHTS_SPACE(2))];
		struct cmsgbuf_ucred cred = { getpid(), getuid(), getgid() };
		struct cmsgbuf_send b;
		struct received r;
		int sent[2], sv[2];
		struct cmsgbuf_msg msgs[2];

		open_pair(socket_types[t], sv);
		set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
		open_memfds(sent, 2);
		msgs[0] = cmsgbuf_credentials(&cred);
		msgs[1] = cmsgbuf_rights(sent, 2);
		cmsgbuf_send_init(&b, space, sizeof(space));
		assert_true(cmsgbuf_send_extend(&b, msgs, 2));
		expect_errno(send_built(sv[0], NULL, 0, &b), 0, "sendmsg");
		receive(sv[1], &r);
		assert_own_credentials(&r);
		assert_int_equal(r.rights_msgs, 1);
		assert_int_equal(r.nfds, 2);
		assert_same_file(sent[0], r.fds[0]);
		assert_same_file(sent[1], r.fds[1]);
		close_received(&r);
		close_fds(sent, 2);
		close_fds(sv, 2);
	}
}

/*
 * The kernel hands credentials over only to a socket that has SO_PASSCRED on
 * when it receives: otherwise push and sendmsg succeed, and nothing arrives,
 * not even MSG_CTRUNC. The sender's SO_PASSCRED does not help.
 */
static void credentials_reach_only_a_receiver_with_so_passcred(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(socket_types) / sizeof(socket_types[0]); t++) {
		struct received r;
		int sv[2];

		open_pair(socket_types[t], sv);
		set_int_opt(sv[0], SOL_SOCKET, SO_PASSCRED, 1);
		send_own_credentials(sv[0]);
		receive(sv[1], &r);
		if (r.nmsgs != 0)
			fail_msg("socket type %d: %zu messages reached a receiver without SO_PASSCRED",
				 socket_types[t], r.nmsgs);

		/* The receiver's option when it receives decides, not when the message was sent. */
		send_own_credentials(sv[0]);
		set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
		receive(sv[1], &r);
		assert_own_credentials(&r);
		close_fds(sv, 2);
	}
}

/* 3. Each sendmsg wrapper */

/* Send @file with cmsgbuf_sendmsg_unix() from an unbound socket to @addr: 0 or errno. */
static int sendmsg_unix_fd(const struct sockaddr_un *addr, socklen_t addrlen, int file)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	struct iovec iov = { &one_byte, 1 };
	struct cmsgbuf_send b;
	int tx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ssize_t n;
	int err;

	assert_true(tx >= 0);
	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(&file, 1)));
	n = cmsgbuf_sendmsg_unix(tx, addr, addrlen, &iov, 1, &b, 0);
	err = n < 0 ? errno : 0;
	assert_int_equal(close(tx), 0);
	return err;
}

static void assert_fd_arrives(int rx, int file)
{
	struct received r;

	receive(rx, &r);
	assert_int_equal(r.bytes, 1);
	assert_int_equal(r.nmsgs, 1);
	assert_int_equal(r.nfds, 1);
	assert_same_file(file, r.fds[0]);
	close_received(&r);
}

static void sendmsg_unix_to_a_bound_path_carries_an_fd(void **state)
{
	char dir[] = "/tmp/cmsgbuf-test-kernel.XXXXXX";
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t addrlen;
	int rx, file, bound, err;

	(void)state;
	if (!mkdtemp(dir))
		fail_msg("mkdtemp: %s", strerror(errno));
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/socket", dir);
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(addr.sun_path) + 1);
	rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(rx >= 0);
	set_recv_timeout(rx);
	open_memfds(&file, 1);
	bound = bind(rx, (struct sockaddr *)&addr, addrlen) == 0 ? 0 : errno;
	err = bound ? 0 : sendmsg_unix_fd(&addr, addrlen, file);
	/* The datagram is queued: the path can go before anything is asserted. */
	unlink(addr.sun_path);
	assert_int_equal(rmdir(dir), 0);
	expect_errno(bound, 0, "bind to a path");
	expect_errno(err, 0, "cmsgbuf_sendmsg_unix to a path");
	assert_fd_arrives(rx, file);
	close_fds(&file, 1);
	assert_int_equal(close(rx), 0);
}

static void sendmsg_unix_to_an_abstract_address_carries_an_fd(void **state)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	socklen_t addrlen;
	int rx, file, n;

	(void)state;
	n = snprintf(addr.sun_path + 1, sizeof(addr.sun_path) - 1, "cmsgbuf-test-kernel-%ld", (long)getpid());
	addrlen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
	rx = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(rx >= 0);
	set_recv_timeout(rx);
	if (bind(rx, (struct sockaddr *)&addr, addrlen) != 0)
		fail_msg("bind to an abstract address: %s", strerror(errno));
	open_memfds(&file, 1);
	expect_errno(sendmsg_unix_fd(&addr, addrlen, file), 0, "cmsgbuf_sendmsg_unix, abstract");
	assert_fd_arrives(rx, file);
	close_fds(&file, 1);
	assert_int_equal(close(rx), 0);
}

static void push_int(struct cmsgbuf_send *b, int level, int type, int value)
{
	if (!cmsgbuf_send_push(b, cmsgbuf_raw(level, type, &value, sizeof(value))))
		fail_msg("push of (%d, %d) = %d: %s", level, type, value, strerror(errno));
}

static void sendmsg_v4_over_udp_loopback_sets_tos_and_ttl(void **state)
{
	unsigned char space[CMSGBUF_SPACE(2 * CMSGBUF_RAW_SPACE(sizeof(int)))];
	struct iovec iov = { &one_byte, 1 };
	struct cmsgbuf_send b;
	struct received r;
	struct udp u;

	(void)state;
	udp_open(&u, AF_INET);
	cmsgbuf_send_init(&b, space, sizeof(space));
	push_int(&b, IPPROTO_IP, IP_TOS, 0x28);
	push_int(&b, IPPROTO_IP, IP_TTL, 42);
	if (!ip_ints_reach_the_kernel()) {
		udp_close(&u);
		return;
	}
	assert_int_equal(cmsgbuf_sendmsg_v4(u.tx, &u.to.v4, &iov, 1, &b, 0), 1);
	receive(u.rx, &r);
	assert_int_equal(r.bytes, 1);
	assert_int_equal(r.ip_tos, 0x28);
	assert_int_equal(r.ip_ttl, 42);
	udp_close(&u);
}

static void sendmsg_v6_over_udp_loopback_sets_tclass_and_hoplimit(void **state)
{
	unsigned char space[CMSGBUF_SPACE(2 * CMSGBUF_RAW_SPACE(sizeof(int)))];
	struct iovec iov = { &one_byte, 1 };
	struct cmsgbuf_send b;
	struct received r;
	struct udp u;

	(void)state;
	if (!ipv6_or_say_why_not())
		return;
	udp_open(&u, AF_INET6);
	cmsgbuf_send_init(&b, space, sizeof(space));
	push_int(&b, IPPROTO_IPV6, IPV6_TCLASS, 0x28);
	push_int(&b, IPPROTO_IPV6, IPV6_HOPLIMIT, 42);
	if (!ip_ints_reach_the_kernel()) {
		udp_close(&u);
		return;
	}
	assert_int_equal(cmsgbuf_sendmsg_v6(u.tx, &u.to.v6, &iov, 1, &b, 0), 1);
	receive(u.rx, &r);
	assert_int_equal(r.bytes, 1);
	assert_int_equal(r.tclass, 0x28);
	assert_int_equal(r.hoplimit, 42);
	udp_close(&u);
}

static void sendmsg_any_without_address_reaches_the_connected_peer(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	struct iovec iov = { &one_byte, 1 };
	struct cmsgbuf_send b;
	int sv[2], file;

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	open_memfds(&file, 1);
	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(&file, 1)));
	assert_int_equal(cmsgbuf_sendmsg_any(sv[0], NULL, 0, &iov, 1, &b, 0), 1);
	assert_fd_arrives(sv[1], file);
	close_fds(&file, 1);
	close_fds(sv, 2);
}

static void sendmsg_any_with_an_address_reaches_it(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RAW_SPACE(sizeof(int)))];
	struct iovec iov = { &one_byte, 1 };
	struct cmsgbuf_send b;
	struct received r;
	struct udp u;

	(void)state;
	udp_open(&u, AF_INET);
	cmsgbuf_send_init(&b, space, sizeof(space));
	push_int(&b, IPPROTO_IP, IP_TTL, 7);
	if (!ip_ints_reach_the_kernel()) {
		udp_close(&u);
		return;
	}
	assert_int_equal(cmsgbuf_sendmsg_any(u.tx, &u.to.sa, u.tolen, &iov, 1, &b, 0), 1);
	receive(u.rx, &r);
	assert_int_equal(r.bytes, 1);
	assert_int_equal(r.ip_ttl, 7);
	udp_close(&u);
}

static void empty_buffer_sends_data_without_control(void **state)
{
	unsigned char space[64];
	struct cmsgbuf_send none = CMSGBUF_SEND_EMPTY, unused, refused;
	const struct cmsgbuf_send *bufs[] = { &none, &unused, &refused, NULL };
	int sv[2];

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	cmsgbuf_send_init(&unused, space, sizeof(space));
	cmsgbuf_send_init(&refused, space, sizeof(space));
	assert_false(cmsgbuf_send_push(&refused, cmsgbuf_rights(sv, 0)));
	for (size_t i = 0; i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		struct received r;

		if (bufs[i]) {
			assert_null(cmsgbuf_send_control(bufs[i]));
			assert_int_equal(cmsgbuf_send_controllen(bufs[i]), 0);
		}
		expect_errno(send_built(sv[0], NULL, 0, bufs[i]), 0, "sendmsg, empty buffer");
		receive(sv[1], &r);
		assert_int_equal(r.bytes, 1);
		assert_int_equal(r.nmsgs, 0);
	}
	close_fds(sv, 2);
}

/* 4. Evidence: each rule of push, against what the kernel does with the bytes */

static void rights_without_fds_is_dropped_by_kernel_refused_by_push(void **state)
{
	struct crafted c;
	struct received r;
	int sv[2];

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_RIGHTS, NULL, 0);
	expect_errno(craft_send(&c, sv[0], NULL, 0), 0, "kernel, rights of 0 fds");
	receive(sv[1], &r);
	assert_int_equal(r.bytes, 1);
	assert_int_equal(r.nmsgs, 0);	/* dropped: no SCM_RIGHTS arrives */
	expect_push_refused(NULL, 0, cmsgbuf_rights(sv, 0), EINVAL);
	close_fds(sv, 2);
}

static void rights_with_a_negative_fd_is_ebadf_for_kernel_refused_by_push(void **state)
{
	struct crafted c;
	int sv[2], bad[2];

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	bad[0] = sv[0];
	bad[1] = -1;
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_RIGHTS, bad, sizeof(bad));
	expect_errno(craft_send(&c, sv[0], NULL, 0), EBADF, "kernel, fd -1");
	expect_push_refused(NULL, 0, cmsgbuf_rights(bad, 2), EINVAL);
	close_fds(sv, 2);
}

static void rights_of_254_fds_is_einval_for_kernel_refused_by_push(void **state)
{
	int fds[CMSGBUF_MAX_FDS + 1], sv[2];
	struct crafted c;
	struct received r;

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	for (size_t i = 0; i < CMSGBUF_MAX_FDS + 1; i++)
		fds[i] = sv[0];
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_RIGHTS, fds, sizeof(fds));
	expect_errno(craft_send(&c, sv[0], NULL, 0), EINVAL, "kernel, 254 fds");
	expect_push_refused(NULL, 0, cmsgbuf_rights(fds, CMSGBUF_MAX_FDS + 1), EINVAL);
	/* The limit, not the fds: the same bytes with one fd fewer go through. */
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_RIGHTS, fds, CMSGBUF_MAX_FDS * sizeof(int));
	expect_errno(craft_send(&c, sv[0], NULL, 0), 0, "kernel, 253 fds");
	receive(sv[1], &r);
	assert_int_equal(r.nfds, CMSGBUF_MAX_FDS);
	close_received(&r);
	close_fds(sv, 2);
}

static void rights_of_200_plus_100_fds_is_einval_for_kernel_refused_by_push(void **state)
{
	int fds[300], sv[2];
	struct crafted c;
	struct cmsgbuf_msg first;

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	for (size_t i = 0; i < 300; i++)
		fds[i] = sv[0];
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_RIGHTS, fds, 200 * sizeof(int));
	craft_add(&c, SOL_SOCKET, SCM_RIGHTS, fds + 200, 100 * sizeof(int));
	expect_errno(craft_send(&c, sv[0], NULL, 0), EINVAL, "kernel, 200 + 100 fds");
	first = cmsgbuf_rights(fds, 200);
	expect_push_refused(&first, 1, cmsgbuf_rights(fds + 200, 100), EINVAL);
	close_fds(sv, 2);
}

/*
 * Not a refusal: the kernel merges two rights messages into one, and push
 * takes both, since the rule it enforces is the total, not the count.
 */
static void two_rights_messages_arrive_merged_and_push_takes_both(void **state)
{
	unsigned char space[CMSGBUF_SPACE(2 * CMSGBUF_RIGHTS_SPACE(1))];
	struct cmsgbuf_send b;
	struct crafted c;
	struct received r;
	int files[2], sv[2];

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	open_memfds(files, 2);
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_RIGHTS, &files[0], sizeof(int));
	craft_add(&c, SOL_SOCKET, SCM_RIGHTS, &files[1], sizeof(int));
	expect_errno(craft_send(&c, sv[0], NULL, 0), 0, "kernel, 1 + 1 fds");
	receive(sv[1], &r);
	assert_int_equal(r.rights_msgs, 1);	/* merged */
	assert_int_equal(r.nfds, 2);
	assert_same_file(files[0], r.fds[0]);
	assert_same_file(files[1], r.fds[1]);
	close_received(&r);

	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(&files[0], 1)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(&files[1], 1)));
	expect_errno(send_built(sv[0], NULL, 0, &b), 0, "sendmsg, 1 + 1 fds pushed");
	receive(sv[1], &r);
	assert_int_equal(r.rights_msgs, 1);
	assert_int_equal(r.nfds, 2);
	assert_same_file(files[0], r.fds[0]);
	assert_same_file(files[1], r.fds[1]);
	close_received(&r);
	close_fds(files, 2);
	close_fds(sv, 2);
}

static void rights_length_not_a_multiple_of_int_is_cut_by_kernel_refused_by_push(void **state)
{
	unsigned char payload[sizeof(int) + 2] = { 0 };
	struct crafted c;
	int sv[2], file;

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	open_memfds(&file, 1);
	memcpy(payload, &file, sizeof(file));
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_RIGHTS, payload, sizeof(payload));
	expect_errno(craft_send(&c, sv[0], NULL, 0), 0, "kernel, 6-byte rights");
	assert_fd_arrives(sv[1], file);	/* the 2 bytes left over are silently ignored */
	expect_push_refused(NULL, 0, cmsgbuf_raw(SOL_SOCKET, SCM_RIGHTS, payload, sizeof(payload)), EINVAL);
	close_fds(&file, 1);
	close_fds(sv, 2);
}

static void credentials_of_a_wrong_length_are_einval_for_kernel_refused_by_push(void **state)
{
	static const size_t lens[] = { sizeof(struct ucred) - sizeof(int), sizeof(struct ucred) + sizeof(int) };
	struct ucred cred[2] = { { getpid(), getuid(), getgid() }, { getpid(), getuid(), getgid() } };
	int sv[2];

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		struct crafted c;

		craft_init(&c);
		craft_add(&c, SOL_SOCKET, SCM_CREDENTIALS, cred, lens[i]);
		expect_errno(craft_send(&c, sv[0], NULL, 0), EINVAL, "kernel, credentials of a wrong length");
		expect_push_refused(NULL, 0, cmsgbuf_raw(SOL_SOCKET, SCM_CREDENTIALS, cred, lens[i]), EINVAL);
	}
	close_fds(sv, 2);
}

static void second_credentials_override_the_first_for_kernel_refused_by_push(void **state)
{
	/* As root any ids may be claimed: the second claim differs from the first and from the default. */
	bool root = geteuid() == 0;
	struct ucred first = { getpid(), getuid(), getgid() };
	struct ucred second = { getpid(), root ? 65534 : getuid(), root ? 65534 : getgid() };
	struct cmsgbuf_ucred cred = { getpid(), getuid(), getgid() };
	struct cmsgbuf_msg one = cmsgbuf_credentials(&cred);
	struct crafted c;
	struct received r;
	int sv[2];

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_CREDENTIALS, &first, sizeof(first));
	craft_add(&c, SOL_SOCKET, SCM_CREDENTIALS, &second, sizeof(second));
	expect_errno(craft_send(&c, sv[0], NULL, 0), 0, "kernel, two credentials");
	receive(sv[1], &r);
	assert_int_equal(r.cred_msgs, 1);
	assert_int_equal(r.cred.pid, second.pid);
	assert_int_equal(r.cred.uid, second.uid);
	assert_int_equal(r.cred.gid, second.gid);
	expect_push_refused(&one, 1, cmsgbuf_credentials(&cred), EINVAL);
	close_fds(sv, 2);
}

static void unknown_sol_socket_type_is_einval_for_kernel_refused_by_push(void **state)
{
	static const int types[] = { SCM_SECURITY, 0x7ead };
	int value = 1, sv[2];
	struct udp u;

	(void)state;
	open_pair(SOCK_DGRAM, sv);
	udp_open(&u, AF_INET);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct crafted c;

		craft_init(&c);
		craft_int(&c, SOL_SOCKET, types[i], value);
		expect_errno(craft_send(&c, sv[0], NULL, 0), EINVAL, "kernel, AF_UNIX, unknown SOL_SOCKET type");
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, UDP, unknown SOL_SOCKET type");
		expect_push_refused(NULL, 0, cmsgbuf_raw(SOL_SOCKET, types[i], &value, sizeof(value)), EINVAL);
	}
	udp_close(&u);
	close_fds(sv, 2);
}

/* The crafted @arg (a struct fd_case) sent with msg_controllen INT_MAX + 1: 0 or errno. */
static int send_controllen_above_int_max(void *arg)
{
	struct fd_case *k = arg;
	size_t len = k->c.len;
	int err;

	k->c.len = (size_t)INT_MAX + 1;
	err = craft_send(&k->c, k->sv[0], NULL, 0);
	k->c.len = len;
	return err;
}

static void controllen_above_int_max_is_enobufs_for_kernel_refused_by_push(void **state)
{
	unsigned char payload[16] = { 0 };
	struct cmsgbuf_msg small = cmsgbuf_raw(IPPROTO_IP, IP_TOS, payload, 1);
	struct fd_case k;
	int err;

	(void)state;
	fd_case_open(&k);
	if (under_qemu()) {
		/* qemu-user reads the control data itself first, and may crash on 2 GiB. */
		err = probe_in_child(send_controllen_above_int_max, &k);
	} else {
		/* The kernel refuses on the length alone; valgrind would check 2 GiB of it. */
		VALGRIND_DISABLE_ERROR_REPORTING;
		err = send_controllen_above_int_max(&k);
		VALGRIND_ENABLE_ERROR_REPORTING;
	}
	if (err != ENOBUFS && under_qemu())
		print_message("# qemu-user: a plain sendmsg(2) with msg_controllen INT_MAX + 1 %s %d, where the "
			      "kernel answers ENOBUFS: qemu translates the control data before the kernel sees "
			      "them; the kernel's answer is not observable here\n",
			      err > 128 ? "is killed by signal" : "fails with errno", err > 128 ? err - 128 : err);
	else
		expect_errno(err, ENOBUFS, "kernel, msg_controllen INT_MAX + 1");
	/* The length, not the bytes: with its true length the buffer goes through. */
	k.c.len = CMSG_SPACE(sizeof(int));
	expect_errno(craft_send(&k.c, k.sv[0], NULL, 0), 0, "kernel, the same bytes, true length");
	assert_fd_arrives(k.sv[1], k.file);
	/* Push never reads the payload of a length it refuses. */
	expect_push_refused(NULL, 0, cmsgbuf_raw(0x7e57, 1, payload, (size_t)INT_MAX), EOVERFLOW);
	expect_push_refused(NULL, 0, cmsgbuf_raw(0x7e57, 1, payload, (size_t)INT_MAX + 1), EOVERFLOW);
	expect_push_refused(&small, 1, cmsgbuf_raw(0x7e57, 1, payload, (size_t)INT_MAX - CMSG_SPACE(1) - CMSG_LEN(0)), EOVERFLOW);
	fd_case_close(&k);
}

/*
 * A 32-bit process on a 64-bit kernel: its control data go through the
 * kernel's compat layer (net/compat.c), which converts them to the kernel's
 * own layout before ____sys_sendmsg() sees them.
 */
static bool kernel_compat_task(void)
{
	struct utsname u;

	return sizeof(long) == 4 && uname(&u) == 0 && strstr(u.machine, "64");
}

/*
 * The bytes the kernel allocates for control data of @b, one message of @len
 * payload bytes: msg_controllen; @wide (a 32-bit process on a 64-bit kernel,
 * see optmem_rule()), what cmsghdr_from_user_compat_to_kern() or qemu-user
 * converts it to, the 64-bit kernel's CMSG_SPACE(@len) (a 16-byte header, the
 * payload padded to 8).
 */
static size_t kernel_control_bytes(const struct cmsgbuf_send *b, size_t len, bool wide)
{
	if (wide)
		return (16 + len + 7) & ~(size_t)7;
	return cmsgbuf_send_controllen(b);
}

/*
 * A plain sendmsg(2) of one byte and one message of an unknown level with
 * @len payload bytes, laid out with the libc's CMSG_* macros: 0 or errno.
 */
static int plain_send_of_payload(int fd, const unsigned char *payload, size_t len)
{
	struct iovec iov = { &one_byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	void *control = calloc(1, CMSG_SPACE(len));
	int err;

	assert_non_null(control);
	mh.msg_control = control;
	mh.msg_controllen = CMSG_SPACE(len);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_len = CMSG_LEN(len);
	c->cmsg_level = 0x7e57;
	c->cmsg_type = 1;
	memcpy(CMSG_DATA(c), payload, len);
	err = kernel_sendmsg(fd, &mh) < 0 ? errno : 0;
	free(control);
	return err;
}

/*
 * The kernel's rule at optmem_max, as this process meets it: whether it
 * counts the control data in the 64-bit kernel's layout (@wide), and the
 * errno it refuses with. Natively: a 32-bit process on a 64-bit kernel is
 * converted by the compat layer (wide, ENOMEM), any other counted as sent
 * (ENOBUFS). Under qemu-user, which converts a 32-bit guest's messages to the
 * host's layout itself and whose uname(2) names the guest, plain sendmsg(2)s
 * tell: of optmem_max - 32 payload bytes (taken), optmem_max (refused: the
 * errno), and optmem_max - 16 (taken unless wide). False when qemu answers
 * otherwise than any kernel would: not observable there.
 */
static bool optmem_rule(int sv[2], const unsigned char *payload, size_t optmem, bool *wide, int *refused)
{
	int low, mid, high;
	char got;

	*wide = kernel_compat_task();
	*refused = *wide ? ENOMEM : ENOBUFS;
	if (!under_qemu())
		return true;
	low = plain_send_of_payload(sv[0], payload, optmem - 32);
	mid = plain_send_of_payload(sv[0], payload, optmem - 16);
	high = plain_send_of_payload(sv[0], payload, optmem);
	for (int i = (low == 0) + (mid == 0) + (high == 0); i > 0; i--)
		assert_int_equal(recv(sv[1], &got, 1, 0), 1);
	if (low == 0 && (high == ENOBUFS || high == ENOMEM)) {
		/* 64-bit headers: the same count either way; 32-bit: 12 + len, or 16 + len rounded to 8 */
		bool narrow_takes = CMSG_SPACE(optmem - 16) < optmem;

		*refused = high;
		*wide = narrow_takes && mid == high;
		if (mid == (narrow_takes ? 0 : high) || *wide)
			return true;
	}
	print_message("# qemu-user: plain sends of %zu, %zu and %zu payload bytes give %s, %s and %s, not a "
		      "kernel's answers (qemu copies control data first): optmem_max is not observable here\n",
		      optmem - 32, optmem - 16, optmem, strerror(low), strerror(mid), strerror(high));
	return false;
}

/*
 * net.core.optmem_max: ____sys_sendmsg copies control data longer than its
 * stack buffer with sock_kmalloc(), which takes fewer than optmem_max bytes
 * (less what the socket holds already) and refuses the rest: ENOBUFS. A
 * 32-bit process on a 64-bit kernel meets the same limit in
 * cmsghdr_from_user_compat_to_kern() (net/compat.c), counted in the bytes
 * its messages take once converted (each 4 to 8 bytes longer), and answered
 * with ENOMEM. Push cannot know the machine's limit and accepts such a
 * buffer; a caller stays below it by giving cmsgbuf_send_init() less space
 * than that, since the space is the buffer's cap.
 */
static void controllen_at_optmem_max_is_refused_by_kernel_but_fits_push(void **state)
{
	FILE *f = fopen("/proc/sys/net/core/optmem_max", "r");
	struct iovec iov = { &one_byte, 1 };
	unsigned long optmem = 0;
	unsigned char *space, *payload;
	struct cmsgbuf_send b;
	bool observable, wide;
	int sv[2], refused;

	(void)state;
	if (!f || fscanf(f, "%lu", &optmem) != 1 || optmem < 1024 || optmem > (1ul << 26)) {
		if (f)
			fclose(f);
		print_message("# /proc/sys/net/core/optmem_max unreadable, tiny or huge: not checked\n");
		return;
	}
	fclose(f);
	space = malloc(CMSG_SPACE(optmem));
	payload = calloc(1, optmem);
	assert_non_null(space);
	assert_non_null(payload);
	open_pair(SOCK_DGRAM, sv);
	/*
	 * One message of an unknown level, which AF_UNIX skips, of each length
	 * around the limit: taken while the kernel's bytes stay below it,
	 * refused from there on.
	 */
	observable = optmem_rule(sv, payload, optmem, &wide, &refused);
	for (size_t len = optmem - 32; len <= optmem && observable; len++) {
		size_t bytes;
		char got;

		cmsgbuf_send_init(&b, space, CMSG_SPACE(optmem));
		assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(0x7e57, 1, payload, len)));
		bytes = kernel_control_bytes(&b, len, wide);
		errno = 0;
		expect_errno(cmsgbuf_sendmsg(sv[0], &iov, 1, &b, 0) < 0 ? errno : 0, bytes < optmem ? 0 : refused,
			     bytes < optmem ? "kernel, control data below optmem_max" :
					      "kernel, control data of optmem_max bytes or more");
		if (bytes < optmem)
			assert_int_equal(recv(sv[1], &got, 1, 0), 1);
	}
	/* A buffer given optmem_max bytes of space refuses it at push. */
	cmsgbuf_send_init(&b, space, optmem);
	expect_errno(cmsgbuf_send_push(&b, cmsgbuf_raw(0x7e57, 1, payload, optmem)) ? 0 : errno, ENOSPC,
		     "push, a message larger than the space");
	/* Well below the limit, the same kind of message goes through. */
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(0x7e57, 1, payload, 1024)));
	expect_errno(cmsgbuf_sendmsg(sv[0], &iov, 1, &b, 0) == 1 ? 0 : errno, 0,
		     "kernel, control length below optmem_max");
	close_fds(sv, 2);
	free(payload);
	free(space);
}

/*
 * Not a push rule: bytes push never writes, which the kernel ignores and
 * cmsgbuf_check() names; the compat walk reads them as a header, too short,
 * and refuses the whole buffer.
 */
static void trailing_partial_header_is_ignored_by_kernel_and_named_by_check(void **state)
{
	bool compat = kernel_compat_task();
	struct fd_case k;

	(void)state;
	fd_case_open(&k);
	memset(k.c.bytes + k.c.len, 0xff, sizeof(struct cmsghdr) - 1);
	k.c.len += sizeof(struct cmsghdr) - 1;
	expect_errno(craft_send(&k.c, k.sv[0], NULL, 0), compat ? EINVAL : 0, "kernel, trailing partial header");
	if (!compat)
		assert_fd_arrives(k.sv[1], k.file);
	assert_int_equal(cmsgbuf_check(k.c.bytes, k.c.len), CMSGBUF_DEFECT_SHORT_HEADER);
	assert_ptr_equal(cmsgbuf_first(k.c.bytes, k.c.len), k.c.bytes);
	assert_null(cmsgbuf_next(k.c.bytes, k.c.len, cmsgbuf_first(k.c.bytes, k.c.len)));
	fd_case_close(&k);
}

static void last_message_without_padding_is_taken_by_kernel_and_named_by_check(void **state)
{
	unsigned char tos = 0x28;
	struct fd_case k;
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	/* A 1-byte payload leaves padding on every platform. */
	udp_open(&u, AF_INET);
	craft_init(&c);
	craft_add(&c, IPPROTO_IP, IP_TOS, &tos, 1);
	c.len = CMSG_LEN(1);
	assert_true(c.len < CMSG_SPACE(1));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, unpadded 1-byte IP_TOS");
	receive(u.rx, &r);
	assert_int_equal(r.ip_tos, tos);
	assert_int_equal(cmsgbuf_check(c.bytes, c.len), CMSGBUF_DEFECT_UNPADDED);
	assert_ptr_equal(cmsgbuf_first(c.bytes, c.len), c.bytes);
	udp_close(&u);
	/* An fd leaves padding after a 16-byte header, none after a 12-byte one (i386). */
	if (CMSG_LEN(sizeof(int)) == CMSG_SPACE(sizeof(int)))
		return;
	fd_case_open(&k);
	k.c.len = CMSG_LEN(sizeof(int));
	assert_true(k.c.len < CMSG_SPACE(sizeof(int)));
	expect_errno(craft_send(&k.c, k.sv[0], NULL, 0), 0, "kernel, unpadded last message");
	assert_fd_arrives(k.sv[1], k.file);
	assert_int_equal(cmsgbuf_check(k.c.bytes, k.c.len), CMSGBUF_DEFECT_UNPADDED);
	assert_ptr_equal(cmsgbuf_first(k.c.bytes, k.c.len), k.c.bytes);
	fd_case_close(&k);
}

/*
 * The ranged IP and UDP kinds: the crafted value out of range is refused by
 * the kernel and by push, and the value at the edge of the range, pushed
 * with cmsgbuf, is taken by both.
 */
static void expect_ranged(int family, int level, int type, int refused, int edge)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RAW_SPACE(sizeof(int)))];
	struct cmsgbuf_send b;
	struct crafted c;
	struct received r;
	struct udp u;

	if (family == AF_INET6 && !ipv6_or_say_why_not())
		return;
	expect_push_refused(NULL, 0, cmsgbuf_raw(level, type, &refused, sizeof(refused)), EINVAL);
	cmsgbuf_send_init(&b, space, sizeof(space));
	push_int(&b, level, type, edge);
	if (!ip_ints_reach_the_kernel())
		return;
	udp_open(&u, family);
	craft_init(&c);
	craft_int(&c, level, type, refused);
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, value out of range");
	expect_errno(send_built(u.tx, &u.to.sa, u.tolen, &b), 0, "sendmsg, value at the edge");
	receive(u.rx, &r);
	assert_int_equal(r.bytes, 1);
	udp_close(&u);
}

static void ip_ttl_0_is_einval_for_kernel_refused_by_push(void **state)
{
	(void)state;
	expect_ranged(AF_INET, IPPROTO_IP, IP_TTL, 0, 1);
}

static void ip_tos_256_is_einval_for_kernel_refused_by_push(void **state)
{
	(void)state;
	expect_ranged(AF_INET, IPPROTO_IP, IP_TOS, 256, 255);
}

static void udp_segment_of_4_bytes_is_einval_for_kernel_refused_by_push(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RAW_SPACE(sizeof(unsigned short)))];
	unsigned int wide = 1000;
	unsigned short gso = 1000;
	struct cmsgbuf_send b;
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	udp_open(&u, AF_INET);
	craft_init(&c);
	craft_add(&c, IPPROTO_UDP, UDP_SEGMENT, &wide, sizeof(wide));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, 4-byte UDP_SEGMENT");
	expect_push_refused(NULL, 0, cmsgbuf_raw(IPPROTO_UDP, UDP_SEGMENT, &wide, sizeof(wide)), EINVAL);
	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_UDP, UDP_SEGMENT, &gso, sizeof(gso))));
	expect_errno(send_built(u.tx, &u.to.sa, u.tolen, &b), 0, "sendmsg, 2-byte UDP_SEGMENT");
	receive(u.rx, &r);
	assert_int_equal(r.bytes, 1);
	udp_close(&u);
}

/* Push refuses @second after @first, both of one kind. */
static void expect_push_refuses_the_second(int level, int type, const void *first, const void *second, size_t len)
{
	struct cmsgbuf_msg one = cmsgbuf_raw(level, type, first, len);

	expect_push_refused(&one, 1, cmsgbuf_raw(level, type, second, len), EINVAL);
}

/*
 * Two int messages of @level, @first of @first_type then @second of
 * @second_type, crafted and sent over loopback of @family, and what arrived
 * in @r; push refuses the pair. False where the kernel's answer is not
 * observable (no ::1, qemu's byte order).
 */
static bool two_int_kinds_arrive(int family, int level, int first_type, int first, int second_type, int second,
				 struct received *r)
{
	struct cmsgbuf_msg one = cmsgbuf_raw(level, first_type, &first, sizeof(first));
	struct crafted c;
	struct udp u;

	expect_push_refused(&one, 1, cmsgbuf_raw(level, second_type, &second, sizeof(second)), EINVAL);
	if ((family == AF_INET6 && !ipv6_or_say_why_not()) || !ip_ints_reach_the_kernel())
		return false;
	udp_open(&u, family);
	craft_init(&c);
	craft_int(&c, level, first_type, first);
	craft_int(&c, level, second_type, second);
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, two int messages");
	receive(u.rx, r);
	udp_close(&u);
	return true;
}

/* The same, both of one kind (@type). */
static bool two_ints_arrive(int family, int level, int type, int first, int second, struct received *r)
{
	return two_int_kinds_arrive(family, level, type, first, type, second, r);
}

static void second_ip_tos_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	struct received r;

	(void)state;
	if (two_ints_arrive(AF_INET, IPPROTO_IP, IP_TOS, 0x28, 0x48, &r))
		assert_int_equal(r.ip_tos, 0x48);
}

/*
 * Only -2 is pinned: kernels that keep the hop limit in an s16 check the range
 * after truncating, and take 65536 as hop limit 0; push refuses that too.
 */
static void ipv6_hoplimit_minus_2_is_einval_for_kernel_refused_by_push(void **state)
{
	(void)state;
	expect_ranged(AF_INET6, IPPROTO_IPV6, IPV6_HOPLIMIT, -2, -1);
}

static void ipv6_tclass_minus_2_and_256_are_einval_for_kernel_refused_by_push(void **state)
{
	(void)state;
	expect_ranged(AF_INET6, IPPROTO_IPV6, IPV6_TCLASS, -2, -1);
	expect_ranged(AF_INET6, IPPROTO_IPV6, IPV6_TCLASS, 256, 255);
}

/* lib/kinds.c keeps IPV6_DONTFRAG to 0..1; so does the kernel, on both sides. */
static void ipv6_dontfrag_2_is_einval_for_kernel_refused_by_push(void **state)
{
	(void)state;
	expect_ranged(AF_INET6, IPPROTO_IPV6, IPV6_DONTFRAG, 2, 1);
	expect_ranged(AF_INET6, IPPROTO_IPV6, IPV6_DONTFRAG, -1, 0);
}

/* 5. Evidence: the value rules */

/* A bit outside SOF_TIMESTAMPING_TX_RECORD_MASK, as the socket option's flags mix them. */
static void so_timestamping_0x12_is_einval_for_kernel_refused_by_push(void **state)
{
	static const int types[] = { SO_TIMESTAMPING_OLD, SO_TIMESTAMPING_NEW };
	unsigned int mixed = TS_TX_SOFTWARE | TS_SOFTWARE, completion = TS_TX_COMPLETION;
	struct udp u;

	(void)state;
	if (!timestamping_flags_reach_the_kernel()) {
		for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
			expect_push_refused(NULL, 0, cmsgbuf_raw(SOL_SOCKET, types[i], &mixed, sizeof(mixed)),
					    EINVAL);
			expect_push_taken(cmsgbuf_raw(SOL_SOCKET, types[i], &completion, sizeof(completion)));
		}
		return;
	}
	udp_open(&u, AF_INET);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct crafted c;
		struct received r;

		craft_init(&c);
		craft_add(&c, SOL_SOCKET, types[i], &mixed, sizeof(mixed));
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, SO_TIMESTAMPING 0x12");
		expect_push_refused(NULL, 0, cmsgbuf_raw(SOL_SOCKET, types[i], &mixed, sizeof(mixed)), EINVAL);
		/* the highest bit of the mask (Linux 6.15 on) is taken by both */
		craft_init(&c);
		craft_add(&c, SOL_SOCKET, types[i], &completion, sizeof(completion));
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, SOF_TIMESTAMPING_TX_COMPLETION");
		receive(u.rx, &r);
		expect_push_taken(cmsgbuf_raw(SOL_SOCKET, types[i], &completion, sizeof(completion)));
	}
	udp_close(&u);
}

static void ip_protocol_0_is_einval_for_kernel_refused_by_push(void **state)
{
	(void)state;
	expect_ranged(AF_INET, IPPROTO_IP, IP_PROTOCOL, 0, 255);
	expect_ranged(AF_INET, IPPROTO_IP, IP_PROTOCOL, 256, 1);
}

/* The kernel cuts IP options to 40 bytes, the most an IP header holds: push refuses more. */
static void ip_retopts_of_44_bytes_are_cut_to_40_by_kernel_refused_by_push(void **state)
{
	unsigned char nops[44];
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	memset(nops, IPOPT_NOP, sizeof(nops));
	udp_open(&u, AF_INET);
	set_int_opt(u.rx, IPPROTO_IP, IP_RECVOPTS, 1);
	craft_init(&c);
	craft_add(&c, IPPROTO_IP, IP_RETOPTS, nops, sizeof(nops));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, 44 bytes of IP options");
	receive(u.rx, &r);
	assert_int_equal(r.ip_options, 40);
	expect_push_refused(NULL, 0, cmsgbuf_raw(IPPROTO_IP, IP_RETOPTS, nops, 41), EINVAL);
	expect_push_taken(cmsgbuf_raw(IPPROTO_IP, IP_RETOPTS, nops, 40));
	udp_close(&u);
}

static void scm_devmem_dmabuf_of_8_bytes_is_einval_for_kernel_refused_by_push(void **state)
{
	unsigned long long id = 1;
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	udp_open(&u, AF_INET);
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_DEVMEM_DMABUF, &id, sizeof(id));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, 8-byte SCM_DEVMEM_DMABUF");
	expect_push_refused(NULL, 0, cmsgbuf_raw(SOL_SOCKET, SCM_DEVMEM_DMABUF, &id, sizeof(id)), EINVAL);
	/* a u32 is taken on UDP, which has no use for it */
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SCM_DEVMEM_DMABUF, &id, sizeof(unsigned int));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, 4-byte SCM_DEVMEM_DMABUF");
	receive(u.rx, &r);
	expect_push_taken(cmsgbuf_raw(SOL_SOCKET, SCM_DEVMEM_DMABUF, &id, sizeof(unsigned int)));
	udp_close(&u);
}

/* The length an option header's hdrlen gives, and the routing header's type. */
static void ipv6_extension_headers_the_kernel_refuses_are_refused_by_push(void **state)
{
	unsigned char opt_hdr[8] = { 0, 1 }, rthdr_type_0[24] = { 0, 2, 0, 1 };
	struct crafted c;
	struct udp u;

	(void)state;
	if (!ipv6_or_say_why_not())
		return;
	udp_open(&u, AF_INET6);
	/* hdrlen 1: 16 bytes, of which 8 are given */
	craft_init(&c);
	craft_add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt_hdr, sizeof(opt_hdr));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, short IPV6_HOPOPTS");
	expect_push_refused(NULL, 0, cmsgbuf_raw(IPPROTO_IPV6, IPV6_HOPOPTS, opt_hdr, sizeof(opt_hdr)), EINVAL);
	craft_init(&c);
	craft_add(&c, IPPROTO_IPV6, IPV6_RTHDR, rthdr_type_0, sizeof(rthdr_type_0));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, routing header of type 0");
	expect_push_refused(NULL, 0, cmsgbuf_raw(IPPROTO_IPV6, IPV6_RTHDR, rthdr_type_0, sizeof(rthdr_type_0)),
			    EINVAL);
	/* a second hop-by-hop header: the kernel refuses it as well */
	opt_hdr[1] = 0;
	craft_init(&c);
	craft_add(&c, IPPROTO_IPV6, IPV6_HOPOPTS, opt_hdr, sizeof(opt_hdr));
	craft_add(&c, IPPROTO_IPV6, IPV6_2292HOPOPTS, opt_hdr, sizeof(opt_hdr));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, two hop-by-hop headers");
	{
		struct cmsgbuf_msg first = cmsgbuf_raw(IPPROTO_IPV6, IPV6_HOPOPTS, opt_hdr, sizeof(opt_hdr));

		expect_push_refused(&first, 1, cmsgbuf_raw(IPPROTO_IPV6, IPV6_2292HOPOPTS, opt_hdr, sizeof(opt_hdr)),
				    EINVAL);
	}
	udp_close(&u);
}

/* The 4 version bits of a flow label: the kernel masks them off unseen (IPV6_FLOWINFO_MASK). */
static void ipv6_flowinfo_version_bits_are_dropped_by_kernel_refused_by_push(void **state)
{
	unsigned char version_1[4] = { 0x10, 0, 0, 0 }, short_flow[3] = { 0 };
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	expect_push_refused(NULL, 0, cmsgbuf_raw(IPPROTO_IPV6, IPV6_FLOWINFO, version_1, sizeof(version_1)), EINVAL);
	expect_push_refused(NULL, 0, cmsgbuf_raw(IPPROTO_IPV6, IPV6_FLOWINFO, short_flow, sizeof(short_flow)), EINVAL);
	if (!ipv6_or_say_why_not())
		return;
	udp_open(&u, AF_INET6);
	craft_init(&c);
	craft_add(&c, IPPROTO_IPV6, IPV6_FLOWINFO, version_1, sizeof(version_1));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, IPV6_FLOWINFO with version bits");
	receive(u.rx, &r);
	assert_int_equal(r.bytes, 1);
	craft_init(&c);
	craft_add(&c, IPPROTO_IPV6, IPV6_FLOWINFO, short_flow, sizeof(short_flow));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, 3-byte IPV6_FLOWINFO");
	udp_close(&u);
}

/* 6. Evidence: unknown types, and what is not refused */

static void unknown_ip_ipv6_and_udp_types_are_einval_for_kernel_refused_by_push(void **state)
{
	static const struct { int family, level; } cases[] = {
		{ AF_INET, IPPROTO_IP }, { AF_INET, SOL_UDP }, { AF_INET6, IPPROTO_IPV6 }, { AF_INET6, SOL_UDP },
	};
	int value = 1;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fd_case k;
		struct crafted c;
		struct udp u;

		expect_push_refused(NULL, 0, cmsgbuf_raw(cases[i].level, 99, &value, sizeof(value)), EINVAL);
		if (cases[i].family == AF_INET6 && !ipv6_or_say_why_not())
			continue;
		udp_open(&u, cases[i].family);
		craft_init(&c);
		craft_int(&c, cases[i].level, 99, value);
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, UDP, unknown type");
		udp_close(&u);
		/* AF_UNIX skips the level: the message is lost, the fd beside it arrives */
		fd_case_open(&k);
		craft_int(&k.c, cases[i].level, 99, value);
		expect_errno(craft_send(&k.c, k.sv[0], NULL, 0), 0, "kernel, AF_UNIX, unknown type");
		assert_fd_arrives(k.sv[1], k.file);
		fd_case_close(&k);
	}
}

/* cmsgbuf_unchecked() leaves the judgement to the kernel, which sees the bytes pushed. */
static void unchecked_messages_reach_the_kernel_as_pushed(void **state)
{
	unsigned char space[CMSGBUF_SPACE(2 * CMSGBUF_RAW_SPACE(sizeof(int)))];
	int tos = 256, ttl = 33;
	struct cmsgbuf_send b;
	struct received r;
	struct udp u;

	(void)state;
	if (!ip_ints_reach_the_kernel())
		return;
	udp_open(&u, AF_INET);
	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_unchecked(IPPROTO_IP, IP_TOS, &tos, sizeof(tos))));
	expect_errno(send_built(u.tx, &u.to.sa, u.tolen, &b), EINVAL, "sendmsg, unchecked IP_TOS 256");
	cmsgbuf_send_clear(&b);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_unchecked(IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl))));
	expect_errno(send_built(u.tx, &u.to.sa, u.tolen, &b), 0, "sendmsg, unchecked IP_TTL 33");
	receive(u.rx, &r);
	assert_int_equal(r.ip_ttl, ttl);
	udp_close(&u);
}

/* 7. Evidence: kinds that set one field of the kernel's send state */

/* Transmit timestamps queued on @fd's error queue: counted and dropped. */
static size_t count_tx_timestamps(int fd)
{
	struct pollfd p = { fd, 0, 0 };
	size_t n = 0;

	/* each send below timestamps synchronously on loopback; wait for the last */
	assert_int_equal(poll(&p, 1, 5000), 1);
	for (;;) {
		unsigned char control[256];
		char data[64];
		struct iovec iov = { data, sizeof(data) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
				     .msg_controllen = sizeof(control) };

		if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			expect_errno(errno, EAGAIN, "recvmsg(MSG_ERRQUEUE)");
			return n;
		}
		n++;
	}
}

static void so_timestamping_old_then_new_leaves_the_second_for_kernel_refused_by_push(void **state)
{
	unsigned int tx = TS_TX_SOFTWARE, none = 0, report = TS_SOFTWARE;
	struct cmsgbuf_msg first = cmsgbuf_raw(SOL_SOCKET, SO_TIMESTAMPING_OLD, &tx, sizeof(tx));
	struct crafted both, one;
	struct received r;
	struct udp u;

	(void)state;
	expect_push_refused(&first, 1, cmsgbuf_raw(SOL_SOCKET, SO_TIMESTAMPING_NEW, &none, sizeof(none)), EINVAL);
	if (!timestamping_flags_reach_the_kernel())
		return;
	udp_open(&u, AF_INET);
	if (!set_opt_or_qemu_gap(u.tx, SOL_SOCKET, SO_TIMESTAMPING_OLD, &report, sizeof(report),
				 "SO_TIMESTAMPING")) {
		udp_close(&u);
		return;
	}
	craft_init(&both);
	craft_add(&both, SOL_SOCKET, SO_TIMESTAMPING_OLD, &tx, sizeof(tx));
	craft_add(&both, SOL_SOCKET, SO_TIMESTAMPING_NEW, &none, sizeof(none));
	craft_init(&one);
	craft_add(&one, SOL_SOCKET, SO_TIMESTAMPING_OLD, &tx, sizeof(tx));
	expect_errno(craft_send(&both, u.tx, &u.to.sa, u.tolen), 0, "kernel, SO_TIMESTAMPING_OLD then _NEW");
	expect_errno(craft_send(&one, u.tx, &u.to.sa, u.tolen), 0, "kernel, SO_TIMESTAMPING_OLD");
	/* one timestamp, of the second send: the first asked for none, its _NEW winning */
	assert_int_equal(count_tx_timestamps(u.tx), 1);
	receive(u.rx, &r);
	receive(u.rx, &r);
	udp_close(&u);
}

static void ipv6_hoplimit_then_2292hoplimit_leaves_the_second_for_kernel_refused_by_push(void **state)
{
	struct received r;

	(void)state;
	if (two_int_kinds_arrive(AF_INET6, IPPROTO_IPV6, IPV6_HOPLIMIT, 10, IPV6_2292HOPLIMIT, 20, &r))
		assert_int_equal(r.hoplimit, 20);
}

/* ip_cmsg_send() sets the priority from IP_TOS (rt_tos2priority(0) is 0). */
static void so_priority_then_ip_tos_leaves_the_tos_priority_for_kernel_refused_by_push(void **state)
{
	unsigned int five = 5;
	int tos = 0, on = 1;
	struct cmsgbuf_msg first = cmsgbuf_raw(SOL_SOCKET, SO_PRIORITY, &five, sizeof(five));
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	expect_push_refused(&first, 1, cmsgbuf_raw(IPPROTO_IP, IP_TOS, &tos, sizeof(tos)), EINVAL);
	if (!ip_ints_reach_the_kernel())
		return;
	udp_open(&u, AF_INET);
	if (!set_opt_or_qemu_gap(u.rx, SOL_SOCKET, SO_RCVPRIORITY, &on, sizeof(on), "SO_RCVPRIORITY")) {
		udp_close(&u);
		return;
	}
	craft_init(&c);
	craft_add(&c, SOL_SOCKET, SO_PRIORITY, &five, sizeof(five));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, SO_PRIORITY 5");
	receive(u.rx, &r);
	assert_int_equal(r.priority, 5);
	craft_int(&c, IPPROTO_IP, IP_TOS, tos);
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, SO_PRIORITY 5 then IP_TOS 0");
	receive(u.rx, &r);
	assert_int_equal(r.priority, 0);
	udp_close(&u);
}

/* The source address of what @r received, as an IPv4 address in host order, or as IPv6's last byte. */
static unsigned long source_of(const struct received *r)
{
	if (r->from.ss_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)(const void *)&r->from)->sin_addr.s_addr);
	assert_int_equal(r->from.ss_family, AF_INET6);
	return ((const struct sockaddr_in6 *)(const void *)&r->from)->sin6_addr.s6_addr[15];
}

/* An IPv6 socket sending to an IPv4-mapped address: ip_cmsg_send() takes both, for ipc->addr. */
static void ip_pktinfo_then_ipv6_pktinfo_leave_the_second_for_kernel_refused_by_push(void **state)
{
	struct in_pktinfo pi;
	struct in6_pktinfo pi6;
	struct sockaddr_in6 to;
	struct crafted c;
	struct received r;
	struct udp u;
	int tx6;

	(void)state;
	memset(&pi, 0, sizeof(pi));
	memset(&pi6, 0, sizeof(pi6));
	pi.ipi_spec_dst.s_addr = htonl(0x7f000002);
	pi6.ipi6_addr.s6_addr[10] = pi6.ipi6_addr.s6_addr[11] = 0xff;
	memcpy(&pi6.ipi6_addr.s6_addr[12], "\x7f\x00\x00\x03", 4);
	{
		struct cmsgbuf_msg first = cmsgbuf_raw(IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));

		expect_push_refused(&first, 1, cmsgbuf_raw(IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof(pi6)), EINVAL);
	}
	if (!ipv6_or_say_why_not())
		return;
	udp_open(&u, AF_INET);
	tx6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(tx6 >= 0);
	memset(&to, 0, sizeof(to));
	to.sin6_family = AF_INET6;
	to.sin6_port = u.to.v4.sin_port;
	to.sin6_addr.s6_addr[10] = to.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&to.sin6_addr.s6_addr[12], &u.to.v4.sin_addr, 4);
	craft_init(&c);
	craft_add(&c, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	expect_errno(craft_send(&c, tx6, (struct sockaddr *)&to, sizeof(to)), 0, "kernel, IP_PKTINFO");
	receive(u.rx, &r);
	assert_int_equal(source_of(&r), 0x7f000002);
	craft_add(&c, IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof(pi6));
	expect_errno(craft_send(&c, tx6, (struct sockaddr *)&to, sizeof(to)), 0, "kernel, IP_PKTINFO then IPV6_PKTINFO");
	receive(u.rx, &r);
	assert_int_equal(source_of(&r), 0x7f000003);
	assert_int_equal(close(tx6), 0);
	udp_close(&u);
}

/* IPV6_FREEBIND lets the sender claim addresses of 2001:db8::/32, which tell the two apart. */
static void ipv6_pktinfo_then_2292pktinfo_leave_the_second_for_kernel_refused_by_push(void **state)
{
	struct in6_pktinfo one, two;
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	memset(&one, 0, sizeof(one));
	memcpy(one.ipi6_addr.s6_addr, "\x20\x01\x0d\xb8", 4);
	two = one;
	one.ipi6_addr.s6_addr[15] = 1;
	two.ipi6_addr.s6_addr[15] = 2;
	{
		struct cmsgbuf_msg first = cmsgbuf_raw(IPPROTO_IPV6, IPV6_PKTINFO, &one, sizeof(one));

		expect_push_refused(&first, 1, cmsgbuf_raw(IPPROTO_IPV6, IPV6_2292PKTINFO, &two, sizeof(two)), EINVAL);
	}
	if (!ipv6_or_say_why_not())
		return;
	udp_open(&u, AF_INET6);
	set_int_opt(u.tx, IPPROTO_IPV6, IPV6_FREEBIND, 1);
	craft_init(&c);
	craft_add(&c, IPPROTO_IPV6, IPV6_PKTINFO, &one, sizeof(one));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, IPV6_PKTINFO 2001:db8::1");
	receive(u.rx, &r);
	assert_int_equal(source_of(&r), 1);
	craft_add(&c, IPPROTO_IPV6, IPV6_2292PKTINFO, &two, sizeof(two));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, IPV6_PKTINFO then IPV6_2292PKTINFO");
	receive(u.rx, &r);
	assert_int_equal(source_of(&r), 2);
	udp_close(&u);
}

/* 8. Evidence: two messages of one kind, the second's value observed */

/* include/uapi/linux/net_tstamp.h */
#define TS_OPT_ID (1u << 7)

/* Raw sendmsg(2) of the crafted bytes with @len bytes of data: 0 or errno. */
static int craft_send_bytes(struct crafted *c, const struct udp *u, const void *data, size_t len)
{
	struct iovec iov = { (void *)(uintptr_t)data, len };
	struct msghdr mh = {
		.msg_name = (void *)(uintptr_t)&u->to.sa,
		.msg_namelen = u->tolen,
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = c->bytes,
		.msg_controllen = c->len,
	};
	ssize_t n = kernel_sendmsg(u->tx, &mh);

	if (n < 0)
		return errno;
	assert_int_equal(n, len);
	return 0;
}

/* The datagrams a test sends: large enough for GSO and for a fragment of loopback's 64 KiB MTU. */
static unsigned char datagram[65500];

/* One datagram from @fd: its size, and the payload of its (@level, @type) message in @out, which must be there. */
static size_t receive_with(int fd, int level, int type, void *out, size_t len)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(64)];
	} control;
	struct iovec iov = { datagram, sizeof(datagram) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes,
			     .msg_controllen = sizeof(control.bytes) };
	ssize_t n = recvmsg(fd, &mh, 0);

	if (n < 0)
		fail_msg("recvmsg: %s", strerror(errno));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == level && c->cmsg_type == type) {
			assert_int_equal(c->cmsg_len, CMSG_LEN(len));
			memcpy(out, CMSG_DATA(c), len);
			return (size_t)n;
		}
	}
	fail_msg("no message of level %d, type %d arrived", level, type);
	return 0;
}

static void second_ip_ttl_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	struct received r;

	(void)state;
	if (two_ints_arrive(AF_INET, IPPROTO_IP, IP_TTL, 10, 20, &r))
		assert_int_equal(r.ip_ttl, 20);
}

static void second_ipv6_tclass_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	struct received r;

	(void)state;
	if (two_ints_arrive(AF_INET6, IPPROTO_IPV6, IPV6_TCLASS, 0x28, 0x48, &r))
		assert_int_equal(r.tclass, 0x48);
}

static void second_ipv6_hoplimit_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	struct received r;

	(void)state;
	if (two_ints_arrive(AF_INET6, IPPROTO_IPV6, IPV6_HOPLIMIT, 10, 20, &r))
		assert_int_equal(r.hoplimit, 20);
}

static void second_so_mark_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	unsigned int first = 7, second = 9, got = 0;
	struct crafted c;
	struct udp u;

	(void)state;
	expect_push_refuses_the_second(SOL_SOCKET, SO_MARK, &first, &second, sizeof(first));
	udp_open(&u, AF_INET);
	if (set_int_opt_or_qemu_gap(u.rx, SOL_SOCKET, SO_RCVMARK, 1, "SO_RCVMARK")) {
		craft_init(&c);
		craft_add(&c, SOL_SOCKET, SO_MARK, &first, sizeof(first));
		craft_add(&c, SOL_SOCKET, SO_MARK, &second, sizeof(second));
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, SO_MARK 7 then 9");
		receive_with(u.rx, SOL_SOCKET, SO_MARK, &got, sizeof(got));
		assert_int_equal(got, second);
	}
	udp_close(&u);
}

static void second_so_priority_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	unsigned int first = 3, second = 5;
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	expect_push_refuses_the_second(SOL_SOCKET, SO_PRIORITY, &first, &second, sizeof(first));
	udp_open(&u, AF_INET);
	if (set_int_opt_or_qemu_gap(u.rx, SOL_SOCKET, SO_RCVPRIORITY, 1, "SO_RCVPRIORITY")) {
		craft_init(&c);
		craft_add(&c, SOL_SOCKET, SO_PRIORITY, &first, sizeof(first));
		craft_add(&c, SOL_SOCKET, SO_PRIORITY, &second, sizeof(second));
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, SO_PRIORITY 3 then 5");
		receive(u.rx, &r);
		assert_int_equal(r.priority, (int)second);
	}
	udp_close(&u);
}

/* A receiver without UDP_GRO gets each GSO segment as a datagram of its own. */
static void second_udp_segment_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	unsigned short first = 100, second = 200;
	struct crafted c;
	struct udp u;

	(void)state;
	expect_push_refuses_the_second(IPPROTO_UDP, UDP_SEGMENT, &first, &second, sizeof(first));
	if (!ip_ints_reach_the_kernel())
		return;
	udp_open(&u, AF_INET);
	craft_init(&c);
	craft_add(&c, IPPROTO_UDP, UDP_SEGMENT, &first, sizeof(first));
	craft_add(&c, IPPROTO_UDP, UDP_SEGMENT, &second, sizeof(second));
	expect_errno(craft_send_bytes(&c, &u, datagram, 3 * second), 0, "kernel, UDP_SEGMENT 100 then 200");
	for (int i = 0; i < 3; i++)
		assert_int_equal(recv(u.rx, datagram, sizeof(datagram), 0), second);
	udp_close(&u);
}

/* A datagram above loopback's MTU: EMSGSIZE with IPV6_DONTFRAG 1, sent in fragments with 0. */
static void second_ipv6_dontfrag_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	int off = 0, on = 1;
	struct crafted c;
	struct udp u;

	(void)state;
	expect_push_refuses_the_second(IPPROTO_IPV6, IPV6_DONTFRAG, &on, &off, sizeof(int));
	if (!ipv6_or_say_why_not() || !ip_ints_reach_the_kernel())
		return;
	udp_open(&u, AF_INET6);
	craft_init(&c);
	craft_int(&c, IPPROTO_IPV6, IPV6_DONTFRAG, off);
	craft_int(&c, IPPROTO_IPV6, IPV6_DONTFRAG, on);
	expect_errno(craft_send_bytes(&c, &u, datagram, sizeof(datagram)), EMSGSIZE,
		     "kernel, IPV6_DONTFRAG 0 then 1, 65500 bytes");
	craft_init(&c);
	craft_int(&c, IPPROTO_IPV6, IPV6_DONTFRAG, on);
	craft_int(&c, IPPROTO_IPV6, IPV6_DONTFRAG, off);
	expect_errno(craft_send_bytes(&c, &u, datagram, sizeof(datagram)), 0,
		     "kernel, IPV6_DONTFRAG 1 then 0, 65500 bytes");
	assert_int_equal(recv(u.rx, datagram, sizeof(datagram), 0), sizeof(datagram));
	udp_close(&u);
}

/* The IP options that arrive (IP_RECVOPTS): 4 bytes, not 8. */
static void second_ip_retopts_override_the_first_for_kernel_refused_by_push(void **state)
{
	unsigned char nops[8];
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	memset(nops, IPOPT_NOP, sizeof(nops));
	{
		struct cmsgbuf_msg first = cmsgbuf_raw(IPPROTO_IP, IP_RETOPTS, nops, 8);

		expect_push_refused(&first, 1, cmsgbuf_raw(IPPROTO_IP, IP_RETOPTS, nops, 4), EINVAL);
	}
	udp_open(&u, AF_INET);
	set_int_opt(u.rx, IPPROTO_IP, IP_RECVOPTS, 1);
	craft_init(&c);
	craft_add(&c, IPPROTO_IP, IP_RETOPTS, nops, 8);
	craft_add(&c, IPPROTO_IP, IP_RETOPTS, nops, 4);
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, 8 then 4 bytes of IP options");
	receive(u.rx, &r);
	assert_int_equal(r.ip_options, 4);
	udp_close(&u);
}

/* The flow label the receiver sees (the IPV6_FLOWINFO receive option), in network order as sent. */
static void second_ipv6_flowinfo_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	unsigned int first = htonl(0x11111), second = htonl(0x22222), got = 0;
	struct crafted c;
	struct udp u;

	(void)state;
	expect_push_refuses_the_second(IPPROTO_IPV6, IPV6_FLOWINFO, &first, &second, sizeof(first));
	if (!ipv6_or_say_why_not())
		return;
	udp_open(&u, AF_INET6);
	if (set_int_opt_or_qemu_gap(u.rx, IPPROTO_IPV6, IPV6_FLOWINFO, 1, "IPV6_FLOWINFO")) {
		craft_init(&c);
		craft_add(&c, IPPROTO_IPV6, IPV6_FLOWINFO, &first, sizeof(first));
		craft_add(&c, IPPROTO_IPV6, IPV6_FLOWINFO, &second, sizeof(second));
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, flow label 0x11111 then 0x22222");
		receive_with(u.rx, IPPROTO_IPV6, IPV6_FLOWINFO, &got, sizeof(got));
		assert_int_equal(ntohl(got) & 0xfffff, 0x22222);
	}
	udp_close(&u);
}

/* The id of a transmit timestamp: ee_data of the struct sock_extended_err beside it. */
static unsigned int tx_timestamp_id(int fd)
{
	struct pollfd p = { fd, 0, 0 };
	unsigned char control[256];
	struct iovec iov = { datagram, sizeof(datagram) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control,
			     .msg_controllen = sizeof(control) };

	assert_int_equal(poll(&p, 1, 5000), 1);
	if (recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
		fail_msg("recvmsg(MSG_ERRQUEUE): %s", strerror(errno));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) {
			/* linux/errqueue.h's struct sock_extended_err, which musl-gcc cannot include */
			struct {
				uint32_t ee_errno;
				uint8_t ee_origin, ee_type, ee_code, ee_pad;
				uint32_t ee_info, ee_data;
			} ee;

			assert_true(c->cmsg_len >= CMSG_LEN(sizeof(ee)));
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			return ee.ee_data;
		}
	}
	fail_msg("%s", "a transmit timestamp without IP_RECVERR");
	return 0;
}

static void second_scm_ts_opt_id_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	unsigned int first = 7, second = 9;
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	expect_push_refuses_the_second(SOL_SOCKET, SCM_TS_OPT_ID, &first, &second, sizeof(first));
	if (!timestamping_flags_reach_the_kernel())
		return;
	udp_open(&u, AF_INET);
	if (set_int_opt_or_qemu_gap(u.tx, SOL_SOCKET, SO_TIMESTAMPING_OLD, TS_TX_SOFTWARE | TS_SOFTWARE | TS_OPT_ID,
			    "SO_TIMESTAMPING")) {
		craft_init(&c);
		craft_add(&c, SOL_SOCKET, SCM_TS_OPT_ID, &first, sizeof(first));
		craft_add(&c, SOL_SOCKET, SCM_TS_OPT_ID, &second, sizeof(second));
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, SCM_TS_OPT_ID 7 then 9");
		receive(u.rx, &r);
		assert_int_equal(tx_timestamp_id(u.tx), second);
	}
	udp_close(&u);
}

static void second_ip_pktinfo_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	struct in_pktinfo first, second;
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	memset(&first, 0, sizeof(first));
	memset(&second, 0, sizeof(second));
	first.ipi_spec_dst.s_addr = htonl(0x7f000002);
	second.ipi_spec_dst.s_addr = htonl(0x7f000003);
	expect_push_refuses_the_second(IPPROTO_IP, IP_PKTINFO, &first, &second, sizeof(first));
	udp_open(&u, AF_INET);
	craft_init(&c);
	craft_add(&c, IPPROTO_IP, IP_PKTINFO, &first, sizeof(first));
	craft_add(&c, IPPROTO_IP, IP_PKTINFO, &second, sizeof(second));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, IP_PKTINFO 127.0.0.2 then 127.0.0.3");
	receive(u.rx, &r);
	assert_int_equal(source_of(&r), 0x7f000003);
	udp_close(&u);
}

/* IPV6_FREEBIND lets the sender claim addresses of 2001:db8::/32, which tell the two apart. */
static void second_ipv6_pktinfo_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	struct in6_pktinfo first, second;
	struct crafted c;
	struct received r;
	struct udp u;

	(void)state;
	memset(&first, 0, sizeof(first));
	memcpy(first.ipi6_addr.s6_addr, "\x20\x01\x0d\xb8", 4);
	second = first;
	first.ipi6_addr.s6_addr[15] = 1;
	second.ipi6_addr.s6_addr[15] = 2;
	expect_push_refuses_the_second(IPPROTO_IPV6, IPV6_PKTINFO, &first, &second, sizeof(first));
	if (!ipv6_or_say_why_not())
		return;
	udp_open(&u, AF_INET6);
	set_int_opt(u.tx, IPPROTO_IPV6, IPV6_FREEBIND, 1);
	craft_init(&c);
	craft_add(&c, IPPROTO_IPV6, IPV6_PKTINFO, &first, sizeof(first));
	craft_add(&c, IPPROTO_IPV6, IPV6_PKTINFO, &second, sizeof(second));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, IPV6_PKTINFO 2001:db8::1 then ::2");
	receive(u.rx, &r);
	assert_int_equal(source_of(&r), 2);
	udp_close(&u);
}

/* TX_SOFTWARE then 0, as _OLD or as _NEW: no transmit timestamp (one for the same send with TX_SOFTWARE alone). */
static void second_so_timestamping_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	static const int types[] = { SO_TIMESTAMPING_OLD, SO_TIMESTAMPING_NEW };
	unsigned int tx = TS_TX_SOFTWARE, none = 0;
	struct udp u;

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		expect_push_refuses_the_second(SOL_SOCKET, types[i], &tx, &none, sizeof(tx));
	if (!timestamping_flags_reach_the_kernel())
		return;
	udp_open(&u, AF_INET);
	if (!set_int_opt_or_qemu_gap(u.tx, SOL_SOCKET, SO_TIMESTAMPING_OLD, TS_SOFTWARE, "SO_TIMESTAMPING")) {
		udp_close(&u);
		return;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		struct crafted c;
		struct received r;

		craft_init(&c);
		craft_add(&c, SOL_SOCKET, types[i], &tx, sizeof(tx));
		craft_add(&c, SOL_SOCKET, types[i], &none, sizeof(none));
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, SO_TIMESTAMPING TX_SOFTWARE then 0");
		receive(u.rx, &r);
		craft_init(&c);
		craft_add(&c, SOL_SOCKET, types[i], &tx, sizeof(tx));
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, SO_TIMESTAMPING TX_SOFTWARE");
		receive(u.rx, &r);
		assert_int_equal(count_tx_timestamps(u.tx), 1);
	}
	udp_close(&u);
}

/*
 * The destination options the receiver sees (IPV6_RECVDSTOPTS): 16 bytes, not
 * 8, after two IPV6_DSTOPTS or IPV6_2292DSTOPTS then IPV6_DSTOPTS; the other
 * order the kernel refuses itself.
 */
static void second_ipv6_dstopts_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	/*
	 * hdrlen 0 and 1, each filled with one option of the experimental type
	 * 0x1e, which a receiver skips (PadN would do, but Linux drops more than
	 * 7 bytes of padding)
	 */
	unsigned char short_opts[8] = { 0, 0, 0x1e, 4, 1, 1, 1, 1 };
	unsigned char long_opts[16] = { 0, 1, 0x1e, 12, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 }, got[16];
	static const int firsts[] = { IPV6_DSTOPTS, IPV6_2292DSTOPTS };
	struct crafted c;
	struct udp u;

	(void)state;
	for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		struct cmsgbuf_msg first = cmsgbuf_raw(IPPROTO_IPV6, firsts[i], short_opts, sizeof(short_opts));

		expect_push_refused(&first, 1, cmsgbuf_raw(IPPROTO_IPV6, IPV6_DSTOPTS, long_opts, sizeof(long_opts)),
				    EINVAL);
	}
	if (!ipv6_or_say_why_not())
		return;
	udp_open(&u, AF_INET6);
	set_int_opt(u.rx, IPPROTO_IPV6, IPV6_RECVDSTOPTS, 1);
	for (size_t i = 0; i < sizeof(firsts) / sizeof(firsts[0]); i++) {
		craft_init(&c);
		craft_add(&c, IPPROTO_IPV6, firsts[i], short_opts, sizeof(short_opts));
		craft_add(&c, IPPROTO_IPV6, IPV6_DSTOPTS, long_opts, sizeof(long_opts));
		expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), 0, "kernel, 8 then 16 bytes of destination options");
		receive_with(u.rx, IPPROTO_IPV6, IPV6_DSTOPTS, got, sizeof(got));
		assert_memory_equal(got + 1, long_opts + 1, sizeof(got) - 1);
	}
	craft_init(&c);
	craft_add(&c, IPPROTO_IPV6, IPV6_DSTOPTS, short_opts, sizeof(short_opts));
	craft_add(&c, IPPROTO_IPV6, IPV6_2292DSTOPTS, long_opts, sizeof(long_opts));
	expect_errno(craft_send(&c, u.tx, &u.to.sa, u.tolen), EINVAL, "kernel, IPV6_DSTOPTS then IPV6_2292DSTOPTS");
	udp_close(&u);
}

/*
 * IP_PROTOCOL is read by a raw IP_HDRINCL socket alone, and only for the route
 * lookup (flowi4_proto); the header on the wire is the caller's. A policy rule
 * makes the lookup tell: in a child with a network namespace of its own, a
 * rule ahead of the local table prohibits protocol 253, so sendmsg(2) is
 * EACCES exactly when the lookup saw 253.
 */
enum { PROTO_PROHIBITED = 253, PROTO_SETUP_FAILED = 120 };

#ifdef HAVE_LINUX_RTNETLINK_H
/* An rtnetlink rule request: @pref, @action, @table, and @proto when not 0; 0 or errno. */
static int route_rule(int nl, int cmd, unsigned int pref, int action, int table, int proto)
{
	struct {
		struct nlmsghdr nh;
		struct fib_rule_hdr rule;
		unsigned char attrs[2 * RTA_SPACE(sizeof(unsigned int))];
	} req;
	struct {
		struct nlmsghdr nh;
		struct nlmsgerr err;
	} ack;
	struct rtattr *a = (struct rtattr *)(void *)req.attrs;
	unsigned int pref_value = pref;

	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_type = (unsigned short)cmd;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | (cmd == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0);
	req.rule.family = AF_INET;
	req.rule.table = (unsigned char)table;
	req.rule.action = (unsigned char)action;
	a->rta_type = FRA_PRIORITY;
	a->rta_len = RTA_LENGTH(sizeof(pref_value));
	memcpy(RTA_DATA(a), &pref_value, sizeof(pref_value));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(req.rule)) + RTA_SPACE(sizeof(pref_value));
	if (proto) {
		unsigned char p = (unsigned char)proto;

		a = (struct rtattr *)(void *)(req.attrs + RTA_SPACE(sizeof(pref_value)));
		a->rta_type = FRA_IP_PROTO;
		a->rta_len = RTA_LENGTH(sizeof(p));
		memcpy(RTA_DATA(a), &p, sizeof(p));
		req.nh.nlmsg_len += RTA_SPACE(sizeof(p));
	}
	if (send(nl, &req, req.nh.nlmsg_len, 0) < 0)
		return errno;
	if (recv(nl, &ack, sizeof(ack), 0) < (ssize_t)sizeof(ack))
		return EIO;
	return ack.nh.nlmsg_type == NLMSG_ERROR ? -ack.err.error : EIO;
}

/* In a new network namespace: lo up, and protocol 253 prohibited ahead of the local table. */
static bool prohibit_protocol_253(void)
{
	struct ifreq lo;
	int fd, nl;
	bool ok;

	if (unshare(CLONE_NEWNET) != 0)
		return false;
	memset(&lo, 0, sizeof(lo));
	strcpy(lo.ifr_name, "lo");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ok = fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &lo) == 0;
	lo.ifr_flags |= IFF_UP;
	ok = ok && ioctl(fd, SIOCSIFFLAGS, &lo) == 0;
	nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	ok = ok && nl >= 0 && route_rule(nl, RTM_DELRULE, 0, FR_ACT_TO_TBL, RT_TABLE_LOCAL, 0) == 0 &&
	     route_rule(nl, RTM_NEWRULE, 100, FR_ACT_TO_TBL, RT_TABLE_LOCAL, 0) == 0 &&
	     route_rule(nl, RTM_NEWRULE, 10, FR_ACT_PROHIBIT, RT_TABLE_UNSPEC, PROTO_PROHIBITED) == 0;
	if (fd >= 0)
		close(fd);
	if (nl >= 0)
		close(nl);
	return ok;
}

/* The IP_PROTOCOL values to send, in order: at most two. */
struct protocols {
	size_t n;
	int values[2];
};

/* In the child: a raw IP_HDRINCL datagram to 127.0.0.1 with @arg's IP_PROTOCOL messages; errno or 0. */
static int send_raw_with_protocols(void *arg)
{
	const struct protocols *p = arg;
	unsigned char packet[21] = { 0x45, 0, 0, sizeof(packet), 0, 0, 0, 0, 64, PROTO_PROHIBITED, 0, 0,
				     127, 0, 0, 1, 127, 0, 0, 1, 'x' };
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct iovec iov = { packet, sizeof(packet) };
	struct crafted c;
	struct msghdr mh = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov, .msg_iovlen = 1 };
	int fd, err;

	if (!prohibit_protocol_253())
		return PROTO_SETUP_FAILED;
	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (fd < 0)
		return PROTO_SETUP_FAILED + 1;
	craft_init(&c);
	for (size_t i = 0; i < p->n; i++)
		craft_int(&c, IPPROTO_IP, IP_PROTOCOL, p->values[i]);
	mh.msg_control = p->n ? c.bytes : NULL;
	mh.msg_controllen = c.len;
	err = kernel_sendmsg(fd, &mh) < 0 ? errno : 0;
	close(fd);
	return err;
}

/* 1 then 253 is prohibited, 253 then 1 is not: the lookup saw the second. */
static void ip_protocol_route_lookup_sees_the_second(int first, int second)
{
	struct protocols none = { 0, { 0 } }, alone = { 1, { second } };
	struct protocols both = { 2, { first, second } }, swapped = { 2, { second, first } };
	int err = probe_in_child(send_raw_with_protocols, &none), alone_err;

	if (err >= PROTO_SETUP_FAILED && under_qemu()) {
		print_message("# qemu-user: plain rtnetlink requests for the policy rules, or a plain raw "
			      "socket, fail (probe: %d): IP_PROTOCOL's route lookup is not observable here\n", err);
		return;
	}
	alone_err = probe_in_child(send_raw_with_protocols, &alone);
	if (under_qemu() && err == 0 && alone_err == EINVAL) {
		print_message("# qemu-user: a plain sendmsg(2) of IP_PROTOCOL 253 fails with EINVAL (qemu "
			      "passes IP payloads unswapped between byte orders): the route lookup is not "
			      "observable here\n");
		return;
	}
	if (err >= PROTO_SETUP_FAILED)
		fail_msg("no network namespace with a rule prohibiting protocol 253, or no raw socket "
			 "(CAP_SYS_ADMIN and CAP_NET_RAW needed)");
	/* the rule works: without IP_PROTOCOL the lookup sees IPPROTO_RAW, with 253 alone it is prohibited */
	expect_errno(err, 0, "kernel, raw IP_HDRINCL without IP_PROTOCOL");
	expect_errno(alone_err, EACCES, "kernel, IP_PROTOCOL 253 prohibited");
	expect_errno(probe_in_child(send_raw_with_protocols, &both), EACCES, "kernel, IP_PROTOCOL 1 then 253");
	expect_errno(probe_in_child(send_raw_with_protocols, &swapped), 0, "kernel, IP_PROTOCOL 253 then 1");
}
#else
static void ip_protocol_route_lookup_sees_the_second(int first, int second)
{
	(void)first;
	(void)second;
	print_message("# no <linux/rtnetlink.h> (musl-gcc): IP_PROTOCOL's route lookup not exercised\n");
}
#endif

static void second_ip_protocol_overrides_the_first_for_kernel_refused_by_push(void **state)
{
	int icmp = IPPROTO_ICMP, prohibited = PROTO_PROHIBITED;

	(void)state;
	expect_push_refuses_the_second(IPPROTO_IP, IP_PROTOCOL, &icmp, &prohibited, sizeof(int));
	ip_protocol_route_lookup_sees_the_second(icmp, prohibited);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fds_1_2_253_arrive_as_the_same_files_over_stream),
		cmocka_unit_test(fds_1_2_253_arrive_as_the_same_files_over_dgram),
		cmocka_unit_test(fds_1_2_253_arrive_as_the_same_files_over_seqpacket),
		cmocka_unit_test(pushed_credentials_arrive_as_sent),
		cmocka_unit_test(credentials_and_fds_in_one_buffer_arrive_together),
		cmocka_unit_test(credentials_reach_only_a_receiver_with_so_passcred),
		cmocka_unit_test(sendmsg_unix_to_a_bound_path_carries_an_fd),
		cmocka_unit_test(sendmsg_unix_to_an_abstract_address_carries_an_fd),
		cmocka_unit_test(sendmsg_v4_over_udp_loopback_sets_tos_and_ttl),
		cmocka_unit_test(sendmsg_v6_over_udp_loopback_sets_tclass_and_hoplimit),
		cmocka_unit_test(sendmsg_any_without_address_reaches_the_connected_peer),
		cmocka_unit_test(sendmsg_any_with_an_address_reaches_it),
		cmocka_unit_test(empty_buffer_sends_data_without_control),
		cmocka_unit_test(rights_without_fds_is_dropped_by_kernel_refused_by_push),
		cmocka_unit_test(rights_with_a_negative_fd_is_ebadf_for_kernel_refused_by_push),
		cmocka_unit_test(rights_of_254_fds_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(rights_of_200_plus_100_fds_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(two_rights_messages_arrive_merged_and_push_takes_both),
		cmocka_unit_test(rights_length_not_a_multiple_of_int_is_cut_by_kernel_refused_by_push),
		cmocka_unit_test(credentials_of_a_wrong_length_are_einval_for_kernel_refused_by_push),
		cmocka_unit_test(second_credentials_override_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(unknown_sol_socket_type_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(controllen_above_int_max_is_enobufs_for_kernel_refused_by_push),
		cmocka_unit_test(controllen_at_optmem_max_is_refused_by_kernel_but_fits_push),
		cmocka_unit_test(trailing_partial_header_is_ignored_by_kernel_and_named_by_check),
		cmocka_unit_test(last_message_without_padding_is_taken_by_kernel_and_named_by_check),
		cmocka_unit_test(ip_ttl_0_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(ip_tos_256_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(udp_segment_of_4_bytes_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(second_ip_tos_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(ipv6_hoplimit_minus_2_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(ipv6_tclass_minus_2_and_256_are_einval_for_kernel_refused_by_push),
		cmocka_unit_test(ipv6_dontfrag_2_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(so_timestamping_0x12_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(ip_protocol_0_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(ip_retopts_of_44_bytes_are_cut_to_40_by_kernel_refused_by_push),
		cmocka_unit_test(scm_devmem_dmabuf_of_8_bytes_is_einval_for_kernel_refused_by_push),
		cmocka_unit_test(ipv6_extension_headers_the_kernel_refuses_are_refused_by_push),
		cmocka_unit_test(ipv6_flowinfo_version_bits_are_dropped_by_kernel_refused_by_push),
		cmocka_unit_test(unknown_ip_ipv6_and_udp_types_are_einval_for_kernel_refused_by_push),
		cmocka_unit_test(unchecked_messages_reach_the_kernel_as_pushed),
		cmocka_unit_test(so_timestamping_old_then_new_leaves_the_second_for_kernel_refused_by_push),
		cmocka_unit_test(ipv6_hoplimit_then_2292hoplimit_leaves_the_second_for_kernel_refused_by_push),
		cmocka_unit_test(so_priority_then_ip_tos_leaves_the_tos_priority_for_kernel_refused_by_push),
		cmocka_unit_test(ip_pktinfo_then_ipv6_pktinfo_leave_the_second_for_kernel_refused_by_push),
		cmocka_unit_test(ipv6_pktinfo_then_2292pktinfo_leave_the_second_for_kernel_refused_by_push),
		cmocka_unit_test(second_ip_ttl_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_ipv6_tclass_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_ipv6_hoplimit_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_so_mark_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_so_priority_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_udp_segment_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_ipv6_dontfrag_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_ip_retopts_override_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_ipv6_flowinfo_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_scm_ts_opt_id_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_ip_pktinfo_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_ipv6_pktinfo_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_so_timestamping_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_ipv6_dstopts_overrides_the_first_for_kernel_refused_by_push),
		cmocka_unit_test(second_ip_protocol_overrides_the_first_for_kernel_refused_by_push),
	};

	return cmocka_run_group_tests(tests, fd_ledger_open, fd_ledger_close);
}
