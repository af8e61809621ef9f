/*
 * cmsgbuf-demo: a parent passes an open file, the write end of a pipe and
 * its credentials to a child over a Unix socket. The child reads the file,
 * answers through the pipe and checks who sent them. Then the parent shows
 * a push that cmsgbuf refuses, and why.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmsgbuf.h"

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* The parent's half: build one buffer with two fds and credentials, send it. */
static void send_gifts(int sock, int file, int pipe_w)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE)];
	struct cmsgbuf_ucred me = { getpid(), getuid(), getgid() };
	int fds[2] = { file, pipe_w };
	struct iovec iov = { "gifts", 5 };
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 2)) || !cmsgbuf_send_push(&b, cmsgbuf_credentials(&me)))
		die("cmsgbuf_send_push");
	if (cmsgbuf_sendmsg(sock, &iov, 1, &b, 0) < 0)
		die("cmsgbuf_sendmsg");
	printf("parent %d: sent fds %d (file) and %d (pipe), and credentials, in %zu control bytes\n",
	       (int)me.pid, file, pipe_w, cmsgbuf_send_controllen(&b));
}

/* The child's half: receive, read the credentials, take the fds, use them. */
static int receive_gifts(int sock)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE)];
	char data[16], text[64];
	struct iovec iov = { data, sizeof(data) };
	struct cmsgbuf_ucred cred = { 0, (uid_t)-1, (gid_t)-1 };
	int fds[2] = { -1, -1 };
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	ssize_t n;

	cmsgbuf_recv_init(&b, space, sizeof(space));
	if (cmsgbuf_recvmsg(sock, &iov, 1, &b, 0) < 0)
		die("cmsgbuf_recvmsg");
	/*
	 * The buffer owns every fd received until we take one; reading a
	 * message takes nothing. So whatever we return, the clear closes
	 * what we did not take: an extra fd, or all of them on error.
	 */
	if (cmsgbuf_recv_truncated(&b) || !cmsgbuf_recv_credentials(&b, &cred) ||
	    !cmsgbuf_recv_find(&b, SOL_SOCKET, SCM_RIGHTS, &m) || cmsgbuf_recv_take_fds(&b, &m, fds, 2) != 2) {
		fprintf(stderr, "child: expected credentials and 2 fds%s\n",
			cmsgbuf_recv_truncated(&b) ? " (truncated)" : "");
		cmsgbuf_recv_clear(&b);
		return 1;
	}
	cmsgbuf_recv_clear(&b);	/* closes every fd not taken: none here */
	n = pread(fds[0], text, sizeof(text) - 1, 0);
	if (n < 0)
		die("child: pread");
	text[n] = '\0';
	printf("child %d: got fds %d and %d, %s; the file says \"%s\"\n", (int)getpid(), fds[0], fds[1],
	       (fcntl(fds[0], F_GETFD) & fcntl(fds[1], F_GETFD) & FD_CLOEXEC) ? "close-on-exec" : "NOT close-on-exec",
	       text);
	printf("child %d: the sender is pid %d, uid %u, gid %u (my parent is %d)\n", (int)getpid(),
	       (int)cred.pid, (unsigned)cred.uid, (unsigned)cred.gid, (int)getppid());
	dprintf(fds[1], "child %d read %zd bytes through the passed fd", (int)getpid(), n);
	close(fds[0]);
	close(fds[1]);
	return cred.pid == getppid() && cred.uid == getuid() ? 0 : 1;
}

/* What cmsgbuf refuses that hand-written CMSG_* code would send. */
static void show_refusals(int fd)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1) + CMSGBUF_CREDENTIALS_SPACE)];
	struct cmsgbuf_ucred me = { getpid(), getuid(), getgid() };
	int bad = -1;
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(&bad, 1)))
		printf("refused: rights carrying fd -1: %s\n", strerror(errno));
	cmsgbuf_send_push(&b, cmsgbuf_credentials(&me));
	if (!cmsgbuf_send_push(&b, cmsgbuf_credentials(&me)))
		printf("refused: a second credentials message (the kernel would keep only one): %s\n",
		       strerror(errno));
	cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1)))
		printf("refused: a message past the end of the space: %s\n", strerror(errno));
	printf("the buffer still holds %zu bytes, %s\n", cmsgbuf_send_controllen(&b),
	       cmsgbuf_defect_str(cmsgbuf_check(cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b))));
}

int main(void)
{
	char tmpl[] = "/tmp/cmsgbuf-demo-XXXXXX", answer[128];
	int sv[2], pipefd[2], file, status, on = 1;
	ssize_t n;
	pid_t child;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0 || pipe(pipefd) < 0)
		die("socketpair/pipe");
	/* Credentials reach only a receiver that asked for them before the send. */
	if (setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) < 0)
		die("SO_PASSCRED");
	file = mkstemp(tmpl);
	if (file < 0 || unlink(tmpl) < 0 || write(file, "hello from the parent", 21) != 21)
		die("temporary file");

	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0) {
		close(sv[0]);
		close(pipefd[0]);
		close(pipefd[1]);
		close(file);
		exit(receive_gifts(sv[1]));
	}
	close(sv[1]);
	send_gifts(sv[0], file, pipefd[1]);
	close(pipefd[1]);
	close(file);
	n = read(pipefd[0], answer, sizeof(answer) - 1);
	answer[n > 0 ? n : 0] = '\0';
	printf("parent: through the pipe: \"%s\"\n", answer);
	if (waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "parent: the child failed\n");
		return 1;
	}
	show_refusals(sv[0]);
	close(sv[0]);
	close(pipefd[0]);
	printf("demo: ok\n");
	return 0;
}
