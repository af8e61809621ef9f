/*
 * bench-e2e: one descriptor and credentials passed over an AF_UNIX datagram
 * socketpair, one byte of data per message, in messages per second. Each
 * call sends one message and receives it, and the receiver takes the
 * descriptor and closes it.
 *
 * The cmsgbuf side pushes rights and credentials, sends with
 * cmsgbuf_sendmsg(), receives with cmsgbuf_recvmsg() into a struct
 * cmsgbuf_recv kept across calls, and reads with cmsgbuf_recv_next(),
 * cmsgbuf_recv_take_fds() and cmsgbuf_msg_credentials(). The hand-written
 * side is the raw sendmsg(2)/recvmsg(2) loop with the CMSG_* macros,
 * receiving with MSG_CMSG_CLOEXEC as cmsgbuf does, and treating MSG_CTRUNC as
 * an error as cmsgbuf's users must. Both use control buffers of the same size.
 *
 * e2e_fds_one_call: one descriptor, no credentials sent (the receiver still
 * gets its own SO_PASSCRED credentials), with cmsgbuf_send_fds() and
 * cmsgbuf_recv_fds() against the hand-written pair they replace, systemd's
 * send_one_fd() and a strict receive_one_fd(): MSG_CTRUNC, a second rights
 * message or more than one descriptor are errors that close everything.
 * cmsgbuf_recv_fds() receives into CMSGBUF_RECV_MAX_SPACE bytes; the hand
 * side into room for credentials and one descriptor.
 */

#include <stdalign.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmsgbuf.h"
#include "bench.h"

#define SPACE (CMSGBUF_RIGHTS_SPACE(1) + CMSGBUF_CREDENTIALS_SPACE)

struct ctx {
	int sv[2];
	int fd;				/* the descriptor every message passes */
	struct cmsgbuf_ucred cred;
	struct {
		alignas(struct cmsghdr) unsigned char bytes[SPACE];
	} send_space, recv_space;
	struct cmsgbuf_recv b;
	struct cmsgbuf_ucred got_cred;
	int got_fd;
};

static BENCH_NOINLINE void bench_op_e2e_fd_creds_cmsgbuf(void *p)
{
	struct ctx *c = p;
	struct cmsgbuf_send b;
	struct cmsgbuf_msg m;
	char byte = 'x';
	struct iovec iov = { &byte, 1 };

	cmsgbuf_send_init(&b, c->send_space.bytes, sizeof(c->send_space.bytes));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(&c->fd, 1)) ||
	    !cmsgbuf_send_push(&b, cmsgbuf_credentials(&c->cred)))
		bench_fail("push");
	if (cmsgbuf_sendmsg(c->sv[0], &iov, 1, &b, 0) != 1)
		bench_fail("cmsgbuf_sendmsg");

	c->got_fd = -1;
	if (cmsgbuf_recvmsg(c->sv[1], &iov, 1, &c->b, 0) != 1 || cmsgbuf_recv_truncated(&c->b))
		bench_fail("cmsgbuf_recvmsg");
	while (cmsgbuf_recv_next(&c->b, &m)) {
		(void)cmsgbuf_recv_take_fds(&c->b, &m, &c->got_fd, 1);
		(void)cmsgbuf_msg_credentials(&m, &c->got_cred);
	}
	cmsgbuf_recv_clear(&c->b);
	if (c->got_fd < 0)
		bench_fail("no descriptor received");
	close(c->got_fd);
}

static BENCH_NOINLINE void bench_op_e2e_fd_creds_hand(void *p)
{
	struct ctx *c = p;
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *h;

	memset(c->send_space.bytes, 0, sizeof(c->send_space.bytes));
	mh.msg_control = c->send_space.bytes;
	mh.msg_controllen = sizeof(c->send_space.bytes);
	h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &c->fd, sizeof(int));
	h = CMSG_NXTHDR(&mh, h);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_CREDENTIALS;
	h->cmsg_len = CMSG_LEN(sizeof(c->cred));
	memcpy(CMSG_DATA(h), &c->cred, sizeof(c->cred));
	if (sendmsg(c->sv[0], &mh, 0) != 1)
		bench_fail("sendmsg");

	c->got_fd = -1;
	mh.msg_control = c->recv_space.bytes;
	mh.msg_controllen = sizeof(c->recv_space.bytes);
	mh.msg_flags = 0;
	if (recvmsg(c->sv[1], &mh, MSG_CMSG_CLOEXEC) != 1 || (mh.msg_flags & MSG_CTRUNC))
		bench_fail("recvmsg");
	for (h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
		    h->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&c->got_fd, CMSG_DATA(h), sizeof(int));
		else if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS &&
			 h->cmsg_len == CMSG_LEN(sizeof(c->got_cred)))
			memcpy(&c->got_cred, CMSG_DATA(h), sizeof(c->got_cred));
	}
	if (c->got_fd < 0)
		bench_fail("no descriptor received");
	close(c->got_fd);
}

/*
 * The noise floor: the hand-written loop in both columns. Its ratio would be
 * 1.000 on a quiet machine; how far it strays says how far apart two equal
 * sides measure, which is the size of difference e2e_fd_creds can resolve.
 */
static BENCH_NOINLINE void bench_op_e2e_noise_cmsgbuf(void *p)
{
	bench_op_e2e_fd_creds_hand(p);
}

static BENCH_NOINLINE void bench_op_e2e_noise_hand(void *p)
{
	bench_op_e2e_fd_creds_hand(p);
}

static BENCH_NOINLINE void bench_op_e2e_fds_one_call_cmsgbuf(void *p)
{
	struct ctx *c = p;
	char byte = 'x';
	size_t n = 1;

	if (cmsgbuf_send_fds(c->sv[0], &byte, 1, &c->fd, 1, NULL, 0) != 1)
		bench_fail("cmsgbuf_send_fds");
	if (cmsgbuf_recv_fds(c->sv[1], &byte, 1, &c->got_fd, &n, 0) != 1 || n != 1)
		bench_fail("cmsgbuf_recv_fds");
	close(c->got_fd);
}

/* Closes every descriptor of every rights message in @mh (systemd's cmsg_close_all()). */
static void close_all_rights(struct msghdr *mh)
{
	for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h; h = CMSG_NXTHDR(mh, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; CMSG_LEN((i + 1) * sizeof(int)) <= h->cmsg_len; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
}

static BENCH_NOINLINE void bench_op_e2e_fds_one_call_hand(void *p)
{
	struct ctx *c = p;
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *h, *found = NULL;
	bool bad = false;

	/* send_one_fd() */
	memset(c->send_space.bytes, 0, CMSG_SPACE(sizeof(int)));
	mh.msg_control = c->send_space.bytes;
	mh.msg_controllen = CMSG_SPACE(sizeof(int));
	h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &c->fd, sizeof(int));
	if (sendmsg(c->sv[0], &mh, 0) != 1)
		bench_fail("sendmsg");

	/* receive_one_fd(), strict */
	mh.msg_control = c->recv_space.bytes;
	mh.msg_controllen = sizeof(c->recv_space.bytes);
	mh.msg_flags = 0;
	if (recvmsg(c->sv[1], &mh, MSG_CMSG_CLOEXEC) != 1)
		bench_fail("recvmsg");
	if (mh.msg_flags & MSG_CTRUNC)
		bad = true;
	for (h = CMSG_FIRSTHDR(&mh); h && !bad; h = CMSG_NXTHDR(&mh, h)) {
		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		if (found || h->cmsg_len != CMSG_LEN(sizeof(int)))
			bad = true;
		found = h;
	}
	if (bad || !found) {
		close_all_rights(&mh);
		bench_fail("receive_one_fd");
	}
	memcpy(&c->got_fd, CMSG_DATA(found), sizeof(int));
	close(c->got_fd);
}

static const struct bench_op ops[] = {
	BENCH_OP(e2e_fd_creds, 1, NULL, true),
	BENCH_OP(e2e_noise, 1, NULL, true),
	BENCH_OP(e2e_fds_one_call, 1, NULL, true),
};

int main(int argc, char **argv)
{
	static struct ctx c;
	int on = 1;

	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, c.sv) != 0 ||
	    setsockopt(c.sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0)
		bench_fail("socketpair");
	c.fd = STDERR_FILENO;
	c.cred = (struct cmsgbuf_ucred){ getpid(), getuid(), getgid() };
	cmsgbuf_recv_init(&c.b, c.recv_space.bytes, sizeof(c.recv_space.bytes));

	/* Both sides must deliver the credentials sent. */
	for (int side = 0; side < 2; side++) {
		memset(&c.got_cred, 0, sizeof(c.got_cred));
		ops[0].run[side](&c);
		if (memcmp(&c.got_cred, &c.cred, sizeof(c.cred)) != 0)
			bench_fail("e2e_fd_creds: credentials not received");
	}
	return bench_main(argc, argv, ops, sizeof(ops) / sizeof(ops[0]), &c);
}
