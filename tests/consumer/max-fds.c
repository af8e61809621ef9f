/*
 * The largest buffer push builds for AF_UNIX, CMSGBUF_MAX_FDS descriptors,
 * through cmsgbuf_sendmsg() over a socketpair: each descriptor must arrive as
 * the same open file (st_dev, st_ino). Built by consumer/sources.sh from
 * the library's sources directly, without Meson, with each C compiler at hand (musl-gcc
 * among them, whose own sendmsg() refuses this much control data).
 */
#include <cmsgbuf.h>

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

int main(void)
{
	static unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS))];
	static union {
		struct cmsghdr align;
		unsigned char bytes[CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS)];
	} in;
	int fds[CMSGBUF_MAX_FDS + 1], sv[2], got = 0;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct cmsgbuf_send b;
	struct msghdr mh;
	char byte;

	for (int i = 0; i < CMSGBUF_MAX_FDS; i += 2)
		if (pipe(&fds[i]) != 0)
			return fail("pipe");
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0)
		return fail("socketpair");
	cmsgbuf_send_init(&b, space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(fds, CMSGBUF_MAX_FDS)))
		return fail("cmsgbuf_send_push");
	if (cmsgbuf_sendmsg(sv[0], &iov, 1, &b, 0) != 1)
		return fail("cmsgbuf_sendmsg");

	memset(&mh, 0, sizeof(mh));
	iov.iov_base = &byte;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = in.bytes;
	mh.msg_controllen = sizeof(in.bytes);
	if (recvmsg(sv[1], &mh, MSG_CMSG_CLOEXEC) != 1)
		return fail("recvmsg");
	if (mh.msg_flags & MSG_CTRUNC) {
		fprintf(stderr, "the receive was truncated\n");
		return 1;
	}
	for (const struct cmsghdr *c = cmsgbuf_first(in.bytes, mh.msg_controllen); c;
	     c = cmsgbuf_next(in.bytes, mh.msg_controllen, c)) {
		const unsigned char *data = (const unsigned char *)c + CMSG_LEN(0);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++, got++) {
			struct stat sent, arrived;
			int fd;

			memcpy(&fd, data + i * sizeof(int), sizeof(fd));
			if (got >= CMSGBUF_MAX_FDS || fstat(fds[got], &sent) != 0 || fstat(fd, &arrived) != 0 ||
			    sent.st_dev != arrived.st_dev || sent.st_ino != arrived.st_ino) {
				fprintf(stderr, "descriptor %d did not arrive as sent\n", got);
				return 1;
			}
			close(fd);
		}
	}
	if (got != CMSGBUF_MAX_FDS) {
		fprintf(stderr, "%d descriptors arrived, %d sent\n", got, CMSGBUF_MAX_FDS);
		return 1;
	}
	return 0;
}
