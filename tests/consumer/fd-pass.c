/*
 * A program outside cmsgbuf that uses it as its users do: send one descriptor
 * over a socketpair with cmsgbuf, receive it with recvmsg(2), find it with
 * the walker, and check that it is the same open file (st_dev, st_ino).
 */
#define _POSIX_C_SOURCE 200809L

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
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSGBUF_RIGHTS_SPACE(1)];
	} in;
	struct cmsgbuf_send b;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	char byte;
	struct iovec riov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = { .msg_iov = &riov, .msg_iovlen = 1,
			     .msg_control = in.bytes, .msg_controllen = sizeof(in.bytes) };
	const struct cmsghdr *c;
	struct stat sent, got;
	int sv[2], pipefd[2], fd;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(pipefd) < 0)
		return fail("socketpair/pipe");

	cmsgbuf_send_init(&b, space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(&pipefd[1], 1)))
		return fail("cmsgbuf_send_push");
	if (cmsgbuf_sendmsg(sv[0], &iov, 1, &b, 0) != 1)
		return fail("cmsgbuf_sendmsg");

	if (recvmsg(sv[1], &mh, 0) != 1)
		return fail("recvmsg");
	c = cmsgbuf_first(mh.msg_control, mh.msg_controllen);
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int))) {
		fprintf(stderr, "fd-pass: no SCM_RIGHTS message with one fd received\n");
		return 1;
	}
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));

	if (fstat(pipefd[1], &sent) < 0 || fstat(fd, &got) < 0)
		return fail("fstat");
	if (sent.st_dev != got.st_dev || sent.st_ino != got.st_ino) {
		fprintf(stderr, "fd-pass: received fd %d is not the pipe sent\n", fd);
		return 1;
	}
	if (write(fd, "y", 1) != 1 || read(pipefd[0], &byte, 1) != 1 || byte != 'y') {
		fprintf(stderr, "fd-pass: the received fd does not write into the pipe\n");
		return 1;
	}
	printf("fd-pass: fd %d received as fd %d, same pipe (inode %lu)\n",
	       pipefd[1], fd, (unsigned long)got.st_ino);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
	close(sv[0]);
	close(sv[1]);
	return 0;
}
