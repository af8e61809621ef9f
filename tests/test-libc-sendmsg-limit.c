/*
 * test-libc-sendmsg-limit: the largest buffer push builds for AF_UNIX (253
 * descriptors and credentials) goes through cmsgbuf_sendmsg() on every libc,
 * although musl's own sendmsg() refuses control data above 1024 bytes on
 * 64-bit (it copies them to zero the padding beside its 32-bit cmsg_len).
 * On such a libc, the limit is pinned down to the byte, since sendmsg.c
 * assumes it.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmsgbuf.h"
#include "helpers.h"

/* musl's limit, which lib/sendmsg.c goes around. */
#define MUSL_CONTROL_MAX 1024

/* A libc whose cmsg_len is narrower than the kernel's must copy to send. */
static bool libc_copies_control(void)
{
	return sizeof(((struct cmsghdr *)0)->cmsg_len) < sizeof(size_t);
}

static int fds[CMSGBUF_MAX_FDS + 1];

/* CMSGBUF_MAX_FDS descriptors, pipe ends: each pipe its own inode. */
static int open_pipes(void **state)
{
	(void)state;
	for (int i = 0; i < CMSGBUF_MAX_FDS + 1; i += 2)
		if (pipe(&fds[i]) != 0)
			return -1;
	return 0;
}

static void close_pipes(void)
{
	for (int i = 0; i < CMSGBUF_MAX_FDS + 1; i++)
		close(fds[i]);
}

static void pair(int sv[2])
{
	int on = 1;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
}

static void max_fds_and_credentials_go_through_cmsgbuf_sendmsg(void **state)
{
	static unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS) +
						 CMSGBUF_CREDENTIALS_SPACE)];
	static union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(CMSGBUF_MAX_FDS * sizeof(int)) +
				    CMSG_SPACE(sizeof(struct cmsgbuf_ucred))];
	} control;
	struct cmsgbuf_ucred me = { getpid(), getuid(), getgid() }, got;
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	struct cmsgbuf_send b;
	struct msghdr mh;
	int sv[2], nfds = 0, ncred = 0;

	(void)state;
	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, CMSGBUF_MAX_FDS)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(&me)));
	if (libc_copies_control())
		assert_true(cmsgbuf_send_controllen(&b) > MUSL_CONTROL_MAX);
	pair(sv);
	assert_int_equal(cmsgbuf_sendmsg(sv[0], &iov, 1, &b, 0), 1);

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.bytes;
	mh.msg_controllen = sizeof(control.bytes);
	assert_int_equal(recvmsg(sv[1], &mh, MSG_CMSG_CLOEXEC), 1);
	assert_false(mh.msg_flags & MSG_CTRUNC);
	for (const struct cmsghdr *c = cmsgbuf_first(mh.msg_control, mh.msg_controllen); c;
	     c = cmsgbuf_next(mh.msg_control, mh.msg_controllen, c)) {
		const unsigned char *data = (const unsigned char *)c + CMSG_LEN(0);

		assert_int_equal(c->cmsg_level, SOL_SOCKET);
		if (c->cmsg_type == CMSGBUF_SCM_CREDENTIALS) {
			memcpy(&got, data, sizeof(got));
			assert_memory_equal(&got, &me, sizeof(me));
			ncred++;
			continue;
		}
		assert_int_equal(c->cmsg_type, SCM_RIGHTS);
		assert_int_equal(c->cmsg_len, CMSG_LEN(CMSGBUF_MAX_FDS * sizeof(int)));
		for (int i = 0; i < CMSGBUF_MAX_FDS; i++) {
			struct stat sent, arrived;
			int fd;

			memcpy(&fd, data + i * sizeof(int), sizeof(fd));
			assert_int_equal(fstat(fds[i], &sent), 0);
			assert_int_equal(fstat(fd, &arrived), 0);
			assert_true(sent.st_dev == arrived.st_dev && sent.st_ino == arrived.st_ino);
			close(fd);
			nfds++;
		}
	}
	assert_int_equal(ncred, 1);
	assert_int_equal(nfds, CMSGBUF_MAX_FDS);
	close(sv[0]);
	close(sv[1]);
}

/* Plain sendmsg() with @len bytes of control: a rights message and filler. */
static ssize_t libc_sendmsg(int fd, size_t len)
{
	static union {
		struct cmsghdr align;
		unsigned char bytes[2048];
	} control;
	/* The most descriptors that fit, and trailing bytes the kernel ignores. */
	size_t n = (len - CMSG_SPACE(0)) / sizeof(int);
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	struct cmsghdr h;
	struct msghdr mh;

	while (CMSG_SPACE(n * sizeof(int)) > len)
		n--;
	memset(&control, 0, sizeof(control));
	memset(&h, 0, sizeof(h));
	h.cmsg_len = CMSG_LEN(n * sizeof(int));
	h.cmsg_level = SOL_SOCKET;
	h.cmsg_type = SCM_RIGHTS;
	memcpy(control.bytes, &h, sizeof(h));
	memcpy(control.bytes + CMSG_LEN(0), fds, n * sizeof(int));
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.bytes;
	mh.msg_controllen = len;
	return sendmsg(fd, &mh, 0);
}

static void libc_sendmsg_limit_is_the_one_cmsgbuf_goes_around(void **state)
{
	int sv[2];

	(void)state;
	pair(sv);
	/* Both the same number of fds: only the trailing bytes differ. */
	assert_int_equal(libc_sendmsg(sv[0], MUSL_CONTROL_MAX), 1);
	errno = 0;
	if (libc_copies_control()) {
		assert_int_equal(libc_sendmsg(sv[0], MUSL_CONTROL_MAX + 1), -1);
		assert_int_equal(errno, ENOMEM);
	} else {
		/* No such limit: the largest buffer push builds goes through as it is. */
		static unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS) +
							 CMSGBUF_CREDENTIALS_SPACE)];
		struct cmsgbuf_ucred me = { getpid(), getuid(), getgid() };
		char byte = 'x';
		struct iovec iov = { &byte, 1 };
		struct cmsgbuf_send b;
		struct msghdr mh;

		cmsgbuf_send_init(&b, space, sizeof(space));
		assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, CMSGBUF_MAX_FDS)));
		assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(&me)));
		assert_true(cmsgbuf_send_controllen(&b) > MUSL_CONTROL_MAX);
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cmsgbuf_send_control(&b);
		mh.msg_controllen = cmsgbuf_send_controllen(&b);
		assert_int_equal(sendmsg(sv[0], &mh, 0), 1);
	}
	/* Closing the receiving end discards what is queued, fds included. */
	close(sv[0]);
	close(sv[1]);
}

static int close_both(void **state)
{
	close_pipes();
	return fd_ledger_close(state);
}

static int open_all(void **state)
{
	return fd_ledger_open(state) || open_pipes(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(max_fds_and_credentials_go_through_cmsgbuf_sendmsg),
		cmocka_unit_test(libc_sendmsg_limit_is_the_one_cmsgbuf_goes_around),
	};

	return cmocka_run_group_tests(tests, open_all, close_both);
}
