/*
 * The space macros and CMSGBUF_BUFFER_TYPE hold what they say: a buffer
 * type holds exactly its messages wherever it lies, a byte array without
 * CMSGBUF_SPACE() does not (the trap the docs warn of; test-send shows that
 * CMSGBUF_SPACE() is enough at any address), and
 * CMSGBUF_RECV_MAX_SPACE holds the largest receive the kernel can make on
 * AF_UNIX with every option a receiver can turn on, checked over real
 * sockets.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cmsgbuf.h"
#include "helpers.h"

/* Options newer than some libc headers: the asm-generic numbers (linux/net_tstamp.h's flags). */
#ifndef SOF_TIMESTAMPING_RX_SOFTWARE
#define SOF_TIMESTAMPING_RX_SOFTWARE (1 << 3)
#define SOF_TIMESTAMPING_SOFTWARE (1 << 4)
#endif
#ifndef SO_TIMESTAMPNS_NEW
#define SO_TIMESTAMPNS_NEW 64
#endif
#ifndef SO_INQ
#define SO_INQ 84
#endif

/* 1. CMSGBUF_BUFFER_TYPE */

#define RIGHTS_AND_CREDENTIALS (CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE)
typedef CMSGBUF_BUFFER_TYPE(RIGHTS_AND_CREDENTIALS) two_messages;

_Static_assert(sizeof(two_messages) == RIGHTS_AND_CREDENTIALS, "a buffer type takes its total, no slack");
_Static_assert(_Alignof(two_messages) % _Alignof(struct cmsghdr) == 0, "a buffer type is aligned for cmsghdr");
_Static_assert(sizeof(CMSGBUF_BUFFER_TYPE(CMSGBUF_RECV_MAX_SPACE - (CMSGBUF_HDR_ALIGN - 1))) ==
	       CMSGBUF_RECV_MAX_SPACE - (CMSGBUF_HDR_ALIGN - 1), "the largest receive, without slack");

/*
 * Pushes rights of 2 fds and credentials into [@space, @space + @size), then
 * one fd more: true when the two fit and take all of @size, and the third
 * finds no room (ENOSPC).
 */
static bool holds_exactly_two_messages(void *space, size_t size, const char *where)
{
	struct cmsgbuf_ucred cred = { getpid(), getuid(), getgid() };
	int fds[2] = { 0, 1 };
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, size);
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 2)) ||
	    !cmsgbuf_send_push(&b, cmsgbuf_credentials(&cred))) {
		print_message("# %s: a push failed: %s\n", where, strerror(errno));
		return false;
	}
	assert_int_equal(cmsgbuf_send_controllen(&b), RIGHTS_AND_CREDENTIALS);
	assert_ptr_equal(cmsgbuf_send_control(&b), space);
	errno = 0;
	assert_false(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 1)));
	assert_int_equal(errno, ENOSPC);
	return true;
}

/* A struct member after @pad bytes, for each @pad the alignment could matter for. */
#define AFTER(pad) struct { char before[pad]; two_messages space; }
static AFTER(1) after_1;
static AFTER(2) after_2;
static AFTER(3) after_3;
static AFTER(4) after_4;
static AFTER(5) after_5;
static AFTER(6) after_6;
static AFTER(7) after_7;
static two_messages static_space;

static void buffer_type_holds_exactly_its_messages_as_a_member_at_any_offset(void **state)
{
	(void)state;
	assert_true(holds_exactly_two_messages(&after_1.space, sizeof(after_1.space), "offset 1"));
	assert_true(holds_exactly_two_messages(&after_2.space, sizeof(after_2.space), "offset 2"));
	assert_true(holds_exactly_two_messages(&after_3.space, sizeof(after_3.space), "offset 3"));
	assert_true(holds_exactly_two_messages(&after_4.space, sizeof(after_4.space), "offset 4"));
	assert_true(holds_exactly_two_messages(&after_5.space, sizeof(after_5.space), "offset 5"));
	assert_true(holds_exactly_two_messages(&after_6.space, sizeof(after_6.space), "offset 6"));
	assert_true(holds_exactly_two_messages(&after_7.space, sizeof(after_7.space), "offset 7"));
}

static void buffer_type_holds_exactly_its_messages_static_and_on_the_stack(void **state)
{
	two_messages on_stack;
	char c = 0;
	CMSGBUF_BUFFER_TYPE(RIGHTS_AND_CREDENTIALS) after_a_char;

	(void)state;
	(void)c;
	assert_true(holds_exactly_two_messages(&static_space, sizeof(static_space), "static"));
	assert_true(holds_exactly_two_messages(&on_stack, sizeof(on_stack), "stack"));
	assert_true(holds_exactly_two_messages(after_a_char.bytes, sizeof(after_a_char.bytes), "bytes"));
}

/*
 * The trap CMSGBUF_BUFFER_TYPE and CMSGBUF_SPACE() remove: a byte array of
 * the messages' size alone holds them where it happens to be aligned, and
 * not as a struct member after a char.
 */
static struct {
	char c;
	unsigned char space[RIGHTS_AND_CREDENTIALS];
} misaligned_array;

static void byte_array_without_cmsgbuf_space_fails_only_where_misaligned(void **state)
{
	_Alignas(struct cmsghdr) unsigned char aligned[RIGHTS_AND_CREDENTIALS];

	(void)state;
	assert_true(holds_exactly_two_messages(aligned, sizeof(aligned), "aligned array"));
	assert_false(holds_exactly_two_messages(misaligned_array.space, sizeof(misaligned_array.space),
						"array after a char"));
	assert_int_equal(errno, ENOSPC);
}

/* 2. CMSGBUF_RECV_MAX_SPACE */

static bool try_opt(int fd, int name, int value)
{
	return setsockopt(fd, SOL_SOCKET, name, &value, sizeof(value)) == 0;
}

/* What arrived, read with the walker (not the receive buffer, which would hand fds out). */
struct arrived {
	size_t len;	/* bytes of control data */
	size_t fds, pidfds, credentials, timestamps, inq, other;
};

static struct arrived walk_received(const unsigned char *control, size_t cap)
{
	struct arrived a = { 0 };
	const struct cmsghdr *c;

	for (c = cmsgbuf_first(control, cap); c; c = cmsgbuf_next(control, cap, c)) {
		size_t payload = c->cmsg_len - CMSG_LEN(0);

		a.len = (size_t)((const unsigned char *)c - control) + c->cmsg_len;
		if (c->cmsg_level != SOL_SOCKET)
			a.other++;
		else if (c->cmsg_type == SCM_RIGHTS)
			a.fds += payload / sizeof(int);
		else if (c->cmsg_type == CMSGBUF_SCM_PIDFD)
			a.pidfds++;
		else if (c->cmsg_type == CMSGBUF_SCM_CREDENTIALS)
			a.credentials++;
		else if (c->cmsg_type == SO_TIMESTAMPNS_NEW || c->cmsg_type == SO_TIMESTAMPING_NEW)
			a.timestamps++;
		else if (c->cmsg_type == SO_INQ)
			a.inq++;
		else
			a.other++;
	}
	return a;
}

/*
 * The timestamp messages a plain send(2) of one byte from @tx brings to a
 * plain recvmsg(2) on @rx, walked with the libc's CMSG_* macros (the fds a
 * message brings are closed).
 */
static size_t plain_timestamps(int tx, int rx)
{
	static union {
		struct cmsghdr h;
		unsigned char bytes[CMSGBUF_RECV_MAX_SPACE];
	} control;
	char byte = 'y';
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = &control,
			     .msg_controllen = sizeof(control) };
	size_t n = 0;

	assert_int_equal(send(tx, &byte, 1, 0), 1);
	assert_int_equal(recvmsg(rx, &mh, MSG_CMSG_CLOEXEC), 1);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SO_TIMESTAMPNS_NEW || c->cmsg_type == SO_TIMESTAMPING_NEW)
			n++;
		if (c->cmsg_type == SCM_RIGHTS || c->cmsg_type == CMSGBUF_SCM_PIDFD)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
	}
	return n;
}

/*
 * The receiver turns on every option that adds a message on AF_UNIX (and
 * those that add none there), the sender sends CMSGBUF_MAX_FDS descriptors
 * and its credentials, and a CMSGBUF_RECV_MAX_SPACE byte array at each
 * offset receives it all: no MSG_CTRUNC, every descriptor and the pidfd
 * open, and the clear closes them all.
 */
static void recv_max_space_holds_everything_with_every_option_on(int type, const char *name)
{
	static unsigned char region[CMSGBUF_RECV_MAX_SPACE + CMSGBUF_HDR_ALIGN];
	int tsflags = SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE;
	int file = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int fds[CMSGBUF_MAX_FDS];
	unsigned char send_space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS) +
						CMSGBUF_CREDENTIALS_SPACE)];
	struct cmsgbuf_ucred cred = { getpid(), getuid(), getgid() };
	struct cmsgbuf_send s;
	bool pidfd, stamps, inq;
	int sv[2];

	assert_true(file >= 0);
	for (size_t i = 0; i < CMSGBUF_MAX_FDS; i++)
		fds[i] = file;	/* the kernel installs a new fd for each */
	cmsgbuf_send_init(&s, send_space, sizeof(send_space));
	assert_true(cmsgbuf_send_push(&s, cmsgbuf_rights(fds, CMSGBUF_MAX_FDS)));
	assert_true(cmsgbuf_send_push(&s, cmsgbuf_credentials(&cred)));

	for (size_t off = 0; off < CMSGBUF_HDR_ALIGN; off++) {
		unsigned char *space = region + off;
		size_t skip = -(uintptr_t)space & (CMSGBUF_HDR_ALIGN - 1);
		struct cmsgbuf_recv r;
		struct arrived a;
		struct iovec iov;
		char byte = 'x';
		size_t want;
		int before;

		assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
		assert_true(try_opt(sv[1], SO_PASSCRED, 1));
		pidfd = try_opt(sv[1], SO_PASSPIDFD, 1);
		stamps = try_opt(sv[1], SO_TIMESTAMPNS_NEW, 1) &&
			 try_opt(sv[1], SO_TIMESTAMPING_NEW, tsflags);
		(void)try_opt(sv[1], SO_RXQ_OVFL, 1);	/* add nothing on AF_UNIX */
		(void)try_opt(sv[1], SO_RCVMARK, 1);
		(void)try_opt(sv[1], SO_RCVPRIORITY, 1);
		inq = type == SOCK_STREAM && try_opt(sv[1], SO_INQ, 1);
		if (off == 0)
			print_message("# %s: SO_PASSPIDFD %s, timestamps %s, SO_INQ %s\n", name,
				      pidfd ? "on" : "refused", stamps ? "on" : "refused",
				      inq ? "on" : type == SOCK_STREAM ? "refused" : "-");

		iov.iov_base = &byte;
		iov.iov_len = 1;
		assert_int_equal(cmsgbuf_sendmsg(sv[0], &iov, 1, &s, 0), 1);
		memset(region, 0, sizeof(region));
		cmsgbuf_recv_init(&r, space, CMSGBUF_RECV_MAX_SPACE);
		before = open_fd_count();
		assert_int_equal(cmsgbuf_recvmsg(sv[1], &iov, 1, &r, 0), 1);
		a = walk_received(space + skip, CMSGBUF_RECV_MAX_SPACE - skip);
		if (cmsgbuf_recv_truncated(&r))
			fail_msg("%s, offset %zu: MSG_CTRUNC with %zu bytes of control data in %zu bytes",
				 name, off, a.len, (size_t)CMSGBUF_RECV_MAX_SPACE);
		assert_int_equal(a.fds, CMSGBUF_MAX_FDS);
		assert_int_equal(a.credentials, 1);
		assert_int_equal(a.pidfds, pidfd ? 1 : 0);
		assert_int_equal(open_fd_count(), before + CMSGBUF_MAX_FDS + (pidfd ? 1 : 0));
		/* qemu-user does not carry every timestamp across: where a plain recvmsg(2) shows the same */
		want = stamps && type != SOCK_STREAM ? 2 : 0;
		if (a.timestamps != want && under_qemu()) {
			size_t plain = plain_timestamps(sv[0], sv[1]);

			if (plain != a.timestamps)
				fail_msg("%s: %zu timestamps arrived, %zu by a plain recvmsg(2)", name, a.timestamps,
					 plain);
			print_message("# qemu-user: %s: %zu timestamps arrived, as by a plain recvmsg(2)\n", name,
				      a.timestamps);
		} else {
			assert_int_equal(a.timestamps, want);
		}
		assert_int_equal(a.inq, inq ? 1 : 0);
		assert_int_equal(a.other, 0);

		cmsgbuf_recv_clear(&r);
		assert_int_equal(open_fd_count(), before);
		assert_int_equal(close(sv[0]), 0);
		assert_int_equal(close(sv[1]), 0);
	}
	assert_int_equal(close(file), 0);
}

static void recv_max_space_holds_everything_over_dgram(void **state)
{
	(void)state;
	recv_max_space_holds_everything_with_every_option_on(SOCK_DGRAM, "dgram");
}

static void recv_max_space_holds_everything_over_seqpacket(void **state)
{
	(void)state;
	recv_max_space_holds_everything_with_every_option_on(SOCK_SEQPACKET, "seqpacket");
}

static void recv_max_space_holds_everything_over_stream(void **state)
{
	(void)state;
	recv_max_space_holds_everything_with_every_option_on(SOCK_STREAM, "stream");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(buffer_type_holds_exactly_its_messages_as_a_member_at_any_offset),
		cmocka_unit_test(buffer_type_holds_exactly_its_messages_static_and_on_the_stack),
		cmocka_unit_test(byte_array_without_cmsgbuf_space_fails_only_where_misaligned),
		cmocka_unit_test(recv_max_space_holds_everything_over_dgram),
		cmocka_unit_test(recv_max_space_holds_everything_over_seqpacket),
		cmocka_unit_test(recv_max_space_holds_everything_over_stream),
	};

	return cmocka_run_group_tests(tests, fd_ledger_open, fd_ledger_close);
}
