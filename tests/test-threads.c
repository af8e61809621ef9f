/*
 * test-threads: threads that each own their buffers pass descriptors round a
 * ring of socketpairs for a bounded number of rounds; every descriptor must
 * arrive as the same open file (st_dev, st_ino) each time, and none may leak.
 * Run under ThreadSanitizer (scripts/test-tsan) and valgrind (scripts/test):
 * cmsgbuf keeps no state outside the caller's structs, so threads that share
 * nothing but the library must not race.
 *
 * Thread i sends to thread i + 1 (mod THREADS). In each round a thread sends
 * the descriptors it holds, with their token numbers as data, closes its
 * copies, and receives the next batch from thread i - 1. Threads only report
 * failures as text; the main thread turns them into cmocka failures.
 */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmsgbuf.h"
#include "helpers.h"

#define THREADS 4
#define PER_THREAD 8	/* descriptors a thread holds between rounds */
#define ROUNDS 1000

/* What each token must stay: written before the threads start, then only read. */
static struct stat token_stat[THREADS * PER_THREAD];

struct worker {
	int index;
	int out, in;			/* socket to the next thread, from the previous */
	int fds[PER_THREAD];		/* the descriptors held */
	int tokens[PER_THREAD];		/* which token each one is */
	char error[160];		/* empty when all went well */
};

static bool same_file(int fd, int token)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_dev == token_stat[token].st_dev &&
	       st.st_ino == token_stat[token].st_ino;
}

static bool report(struct worker *w, int round, const char *what)
{
	snprintf(w->error, sizeof(w->error), "thread %d, round %d: %s (errno %d)", w->index, round, what,
		 errno);
	return false;
}

static bool send_batch(struct worker *w, int round)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(PER_THREAD))];
	struct iovec iov = { w->tokens, sizeof(w->tokens) };
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(w->fds, PER_THREAD)))
		return report(w, round, "push refused");
	if (cmsgbuf_sendmsg(w->out, &iov, 1, &b, MSG_NOSIGNAL) != (ssize_t)sizeof(w->tokens))
		return report(w, round, "sendmsg");
	for (int i = 0; i < PER_THREAD; i++) {
		close(w->fds[i]);
		w->fds[i] = -1;
	}
	return true;
}

static bool receive_batch(struct worker *w, int round)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(PER_THREAD * sizeof(int))];
	} control;
	struct iovec iov = { w->tokens, sizeof(w->tokens) };
	struct msghdr mh;
	const struct cmsghdr *c;
	int n = 0;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control.bytes;
	mh.msg_controllen = sizeof(control.bytes);
	if (recvmsg(w->in, &mh, MSG_CMSG_CLOEXEC) != (ssize_t)sizeof(w->tokens))
		return report(w, round, "recvmsg");
	for (c = cmsgbuf_first(mh.msg_control, mh.msg_controllen); c;
	     c = cmsgbuf_next(mh.msg_control, mh.msg_controllen, c)) {
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || n + k > PER_THREAD)
			return report(w, round, "unexpected control message");
		memcpy(&w->fds[n], CMSG_DATA(c), k * sizeof(int));
		n += (int)k;
	}
	if ((mh.msg_flags & MSG_CTRUNC) || n != PER_THREAD)
		return report(w, round, "descriptors missing");
	for (int i = 0; i < PER_THREAD; i++)
		if (w->tokens[i] < 0 || w->tokens[i] >= THREADS * PER_THREAD ||
		    !same_file(w->fds[i], w->tokens[i]))
			return report(w, round, "a descriptor arrived as another file");
	return true;
}

static void *run(void *arg)
{
	struct worker *w = arg;

	for (int round = 0; round < ROUNDS; round++) {
		if (!send_batch(w, round) || !receive_batch(w, round)) {
			/* The next thread's receive then ends too, instead of waiting forever. */
			shutdown(w->out, SHUT_WR);
			break;
		}
	}
	return NULL;
}

static void descriptors_pass_round_a_ring_of_threads_intact(void **state)
{
	static struct worker workers[THREADS];
	pthread_t threads[THREADS];
	int ring[THREADS][2];

	(void)state;
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ring[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		struct worker *w = &workers[i];

		memset(w, 0, sizeof(*w));
		w->index = i;
		w->out = ring[i][0];
		w->in = ring[(i + THREADS - 1) % THREADS][1];
		/* Pipe ends: each pipe is a distinct inode, so a mix-up shows. */
		for (int j = 0; j < PER_THREAD; j += 2) {
			assert_int_equal(pipe2(&w->fds[j], O_CLOEXEC), 0);
			for (int k = j; k < j + 2; k++) {
				w->tokens[k] = i * PER_THREAD + k;
				assert_int_equal(fstat(w->fds[k], &token_stat[w->tokens[k]]), 0);
			}
		}
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, run, &workers[i]), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(threads[i], NULL), 0);
	for (int i = 0; i < THREADS; i++) {
		if (workers[i].error[0])
			fail_msg("%s", workers[i].error);
		/* After the last round, every token is held once, as its own file. */
		for (int j = 0; j < PER_THREAD; j++) {
			assert_true(same_file(workers[i].fds[j], workers[i].tokens[j]));
			close(workers[i].fds[j]);
		}
		close(ring[i][0]);
		close(ring[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(descriptors_pass_round_a_ring_of_threads_intact),
	};

	return cmocka_run_group_tests(tests, fd_ledger_open, fd_ledger_close);
}
