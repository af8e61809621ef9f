/*
 * test-recv: the receive buffer against the real kernel, over socketpairs of
 * each type, and against hand-crafted hostile bytes through adopt().
 *
 * What every test here pins down is who owns each descriptor: a descriptor
 * the kernel installed is either handed to the test by cmsgbuf_recv_next()
 * (and the test closes it) or closed by the buffer. Each test counts the
 * entries of /proc/self/fd where it matters, and the group's fd ledger counts
 * them around the whole program.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cmsgbuf.h"
#include "helpers.h"

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

static char one_byte = 'x';

/* Sockets and files */

static void pair(int type, int sv[2])
{
	if (socketpair(AF_UNIX, type, 0, sv) != 0)
		fail_msg("socketpair(%d): %s", type, strerror(errno));
	set_recv_timeout(sv[1]);
}

static void close_pair(int sv[2])
{
	close(sv[0]);
	close(sv[1]);
}

static void assert_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags == -1 || !(flags & FD_CLOEXEC))
		fail_msg("received fd %d lacks FD_CLOEXEC (F_GETFD: %d)", fd, flags);
}

/* Sends one byte with @n fds (none when 0), with the library's send side. */
static void send_fds(int sock, const int *fds, size_t n)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS))];
	struct iovec iov = { &one_byte, 1 };
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, sizeof(space));
	if (n)
		assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, n)));
	if (cmsgbuf_sendmsg(sock, &iov, 1, &b, 0) != 1)
		fail_msg("cmsgbuf_sendmsg: %s", strerror(errno));
}

/* Receives one byte into @b, with no flags: MSG_CMSG_CLOEXEC is cmsgbuf's job. */
static void receive(int sock, struct cmsgbuf_recv *b)
{
	char c = 0;
	struct iovec iov = { &c, 1 };

	if (cmsgbuf_recvmsg(sock, &iov, 1, b, 0) != 1)
		fail_msg("cmsgbuf_recvmsg: %s", strerror(errno));
	assert_int_equal(c, one_byte);
}

/* Receives one byte, which must be @want, into @b. */
static void receive_byte(int sock, struct cmsgbuf_recv *b, char want)
{
	char c = 0;
	struct iovec iov = { &c, 1 };

	if (cmsgbuf_recvmsg(sock, &iov, 1, b, 0) != 1)
		fail_msg("cmsgbuf_recvmsg: %s", strerror(errno));
	assert_int_equal(c, want);
}

/* The next message must be SCM_RIGHTS; takes its fds, now the test's. */
static size_t next_rights(struct cmsgbuf_recv *b, int *fds, size_t max)
{
	struct cmsgbuf_msg m;
	ssize_t n;

	assert_true(cmsgbuf_recv_next(b, &m));
	assert_int_equal(m.level, SOL_SOCKET);
	assert_int_equal(m.type, SCM_RIGHTS);
	n = cmsgbuf_recv_take_fds(b, &m, fds, max);
	if (n < 0)
		fail_msg("cmsgbuf_recv_take_fds: %s", strerror(errno));
	return (size_t)n;
}

/* Each of @got was received close-on-exec and is the open file @sent[i]. */
static void assert_received(const int *got, const int *sent, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_cloexec(got[i]);
		assert_same_file(sent[i], got[i]);
	}
}

/* The next message must be SCM_RIGHTS with the @n files @sent; closes them. */
static void expect_rights(struct cmsgbuf_recv *b, const int *sent, size_t n)
{
	int got[CMSGBUF_MAX_FDS];

	assert_int_equal(next_rights(b, got, CMSGBUF_MAX_FDS), n);
	assert_received(got, sent, n);
	close_all(got, n);
}

/* One test per socket type, each named for it. */
#define FOR_EACH_TYPE(test) \
	static void test##_stream(void **state) { (void)state; test(SOCK_STREAM); } \
	static void test##_dgram(void **state) { (void)state; test(SOCK_DGRAM); } \
	static void test##_seqpacket(void **state) { (void)state; test(SOCK_SEQPACKET); }
#define TYPE_TESTS(test) \
	cmocka_unit_test(test##_stream), cmocka_unit_test(test##_dgram), cmocka_unit_test(test##_seqpacket)

/* Every socket type */

static void rights_arrive_close_on_exec(int type)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(3))];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	int sv[2], sent[3];

	pair(type, sv);
	open_files(sent, 3);
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 3);
	receive(sv[1], &b);
	assert_false(cmsgbuf_recv_truncated(&b));
	expect_rights(&b, sent, 3);
	assert_false(cmsgbuf_recv_next(&b, &m));
	close_all(sent, 3);
	close_pair(sv);
}
FOR_EACH_TYPE(rights_arrive_close_on_exec)

/*
 * In a child, with plain calls only: 8 fds received into CMSG_SPACE(sizeof(int)).
 * 0 if the receive is cut as the kernel cuts it; else 1 if MSG_CTRUNC is
 * missing, plus 2 if fds that were not handed out are open; 4 if a call failed.
 */
static int plain_truncated_receive(void *arg)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(8 * sizeof(int))];
	} control;
	char c = 'x';
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.bytes };
	struct cmsghdr h;
	int sv[2], p[2], before;

	if (socketpair(AF_UNIX, *(int *)arg, 0, sv) != 0 || pipe(p) != 0)
		return 4;
	memset(&control, 0, sizeof(control));
	memset(&h, 0, sizeof(h));
	h.cmsg_len = CMSG_LEN(8 * sizeof(int));
	h.cmsg_level = SOL_SOCKET;
	h.cmsg_type = SCM_RIGHTS;
	memcpy(control.bytes, &h, sizeof(h));
	for (int i = 0; i < 8; i++)
		memcpy(control.bytes + CMSG_LEN(i * sizeof(int)), &p[0], sizeof(int));
	mh.msg_controllen = CMSG_SPACE(8 * sizeof(int));
	if (sendmsg(sv[0], &mh, 0) != 1)
		return 4;
	before = open_fd_count();
	mh.msg_controllen = CMSG_SPACE(sizeof(int));
	if (recvmsg(sv[1], &mh, MSG_CMSG_CLOEXEC) != 1)
		return 4;
	for (struct cmsghdr *r = CMSG_FIRSTHDR(&mh); r; r = CMSG_NXTHDR(&mh, r))
		for (size_t i = 0; CMSG_LEN((i + 1) * sizeof(int)) <= r->cmsg_len; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(r) + i * sizeof(int), sizeof(fd));
			close(fd);
		}
	return (mh.msg_flags & MSG_CTRUNC ? 0 : 1) | (open_fd_count() == before ? 0 : 2);
}

/*
 * qemu-user receives into a host buffer of its own, twice the guest's, so
 * the kernel cuts nothing; qemu then copies what fits, and may leave out
 * MSG_CTRUNC (64-bit guests) and the fds that did not fit open. Can a receive
 * cut short be observed here as the kernel makes it? Under qemu, the plain
 * receive above tells, and if not, a TAP diagnostic says so. Natively: yes.
 */
static bool truncation_is_observable(int type)
{
	return truncation_is_observable_by(plain_truncated_receive, &type,
					   "recvmsg(2) of 8 fds into CMSG_SPACE(sizeof(int))");
}

/* Space for 1 fd (CMSG_SPACE, so 2 on 64-bit Linux), 8 sent. */
static void eight_fds_into_space_for_one_hands_out_those_that_arrived(int type)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	int sv[2], sent[8], got[8], before;
	size_t n;

	if (!truncation_is_observable(type))
		return;
	pair(type, sv);
	open_files(sent, 8);
	before = open_fd_count();
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 8);
	receive(sv[1], &b);
	assert_true(cmsgbuf_recv_truncated(&b));
	n = next_rights(&b, got, 8);
	if (n < 1 || n >= 8)
		fail_msg("%zu fds arrived in space for 1; expected 1 or 2", n);
	assert_received(got, sent, n);
	assert_false(cmsgbuf_recv_next(&b, &m));
	assert_fd_count(before + (int)n, "after the truncated receive, the fds handed out");
	close_all(got, n);
	cmsgbuf_recv_clear(&b);
	assert_fd_count(before, "after closing them");
	close_all(sent, 8);
	close_pair(sv);
}
FOR_EACH_TYPE(eight_fds_into_space_for_one_hands_out_those_that_arrived)

static void eight_fds_into_space_for_one_closed_by_clear(int type)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	struct cmsgbuf_recv b;
	int sv[2], sent[8], before;

	if (!truncation_is_observable(type))
		return;
	pair(type, sv);
	open_files(sent, 8);
	before = open_fd_count();
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 8);
	receive(sv[1], &b);
	assert_true(cmsgbuf_recv_truncated(&b));
	if (open_fd_count() == before)
		fail_msg("%s", "no fd arrived: the test proves nothing");
	cmsgbuf_recv_clear(&b);
	assert_fd_count(before, "after clear of a truncated receive");
	assert_false(cmsgbuf_recv_truncated(&b));
	close_all(sent, 8);
	close_pair(sv);
}
FOR_EACH_TYPE(eight_fds_into_space_for_one_closed_by_clear)

/* SO_PASSCRED: credentials first, then the fds; nothing assumes otherwise. */
static void credentials_come_before_rights(int type)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE + CMSGBUF_RIGHTS_SPACE(2))];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	struct cmsgbuf_ucred cred;
	int sv[2], sent[2];

	pair(type, sv);
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	open_files(sent, 2);
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 2);
	receive(sv[1], &b);
	assert_false(cmsgbuf_recv_truncated(&b));
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(m.type, CMSGBUF_SCM_CREDENTIALS);
	assert_int_equal(cmsgbuf_msg_nfds(&m), 0);
	assert_true(cmsgbuf_msg_credentials(&m, &cred));
	assert_int_equal(cred.pid, getpid());
	assert_int_equal(cred.uid, getuid());
	assert_int_equal(cred.gid, getgid());
	assert_false(cmsgbuf_ucred_none(&cred));
	expect_rights(&b, sent, 2);
	assert_false(cmsgbuf_recv_next(&b, &m));
	close_all(sent, 2);
	close_pair(sv);
}
FOR_EACH_TYPE(credentials_come_before_rights)

/* Truncation */

/*
 * Lowering this process's soft RLIMIT_NOFILE, from a helper child forked
 * beforehand: valgrind emulates a process's own RLIMIT_NOFILE without telling
 * the kernel, which is what must run out of fd numbers, and valgrind's fork
 * needs free fd numbers itself. The helper restores the old limit when told.
 *
 * The limit is set to the lowest free fd number plus @room: @room new fds at
 * the most, and at least one.
 */
struct limiter {
	pid_t pid;
	int sock;
};

static struct limiter limit_lower(int room)
{
	pid_t parent = getpid();
	struct limiter l;
	int sv[2], lowest_free;
	rlim_t soft;
	char c;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	l.pid = fork();
	assert_true(l.pid >= 0);
	if (l.pid == 0) {
		struct rlimit old, low;
		bool told;

		close(sv[0]);
		if (read(sv[1], &soft, sizeof(soft)) != (ssize_t)sizeof(soft) ||
		    prlimit(parent, RLIMIT_NOFILE, NULL, &old) != 0)
			_exit(1);
		low = old;
		low.rlim_cur = soft;
		if (prlimit(parent, RLIMIT_NOFILE, &low, NULL) != 0)
			_exit(1);
		told = write(sv[1], "l", 1) == 1 && read(sv[1], &c, 1) == 1;
		_exit(prlimit(parent, RLIMIT_NOFILE, &old, NULL) != 0 || !told);
	}
	close(sv[1]);
	l.sock = sv[0];
	lowest_free = fcntl(l.sock, F_DUPFD, 0);
	assert_true(lowest_free >= 0);
	close(lowest_free);
	soft = (rlim_t)lowest_free + (rlim_t)room;
	assert_int_equal(write(l.sock, &soft, sizeof(soft)), sizeof(soft));
	assert_int_equal(read(l.sock, &c, 1), 1);
	return l;
}

static void limit_restore(struct limiter l)
{
	int status;

	assert_int_equal(write(l.sock, "r", 1), 1);
	assert_int_equal(waitpid(l.pid, &status, 0), l.pid);
	close(l.sock);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void fd_limit_truncates_a_large_buffer(void **state)
{
	static unsigned char space[CMSGBUF_RECV_MAX_SPACE];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	int sv[2], sent[8], got[8], before;
	struct limiter lim;
	size_t n;

	(void)state;
	pair(SOCK_STREAM, sv);
	open_files(sent, 8);
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 8);
	before = open_fd_count();
	lim = limit_lower(2);
	receive(sv[1], &b);
	limit_restore(lim);
	assert_true(cmsgbuf_recv_truncated(&b));
	n = next_rights(&b, got, 8);
	if (n < 1 || n > 2)
		fail_msg("%zu fds installed under a limit with room for 1 or 2", n);
	assert_received(got, sent, n);
	assert_false(cmsgbuf_recv_next(&b, &m));
	close_all(got, n);
	assert_fd_count(before, "after closing the fds that were installed");
	close_all(sent, 8);
	close_pair(sv);
}

/* Without space, the kernel discards the fds and says so. */
/* Empty: CMSGBUF_RECV_EMPTY, or init with NULL or too few bytes to align. */
static void empty_buffer_reports_truncation_and_gets_no_fd(void **state)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[2 * CMSGBUF_HDR_ALIGN];
	} space;
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	int sv[2], sent[2], before;

	(void)state;
	pair(SOCK_DGRAM, sv);
	open_files(sent, 2);
	before = open_fd_count();
	for (int i = 0; i < 3; i++) {
		b = (struct cmsgbuf_recv)CMSGBUF_RECV_EMPTY;
		if (i == 1)
			cmsgbuf_recv_init(&b, NULL, sizeof(space));
		if (i == 2)	/* 1 byte past alignment, up to the next aligned byte */
			cmsgbuf_recv_init(&b, space.bytes + 1, CMSGBUF_HDR_ALIGN - 1);
		send_fds(sv[0], sent, 2);
		receive(sv[1], &b);
		assert_true(cmsgbuf_recv_truncated(&b));
		assert_false(cmsgbuf_recv_next(&b, &m));
		assert_fd_count(before, "after a receive without space");
	}
	close_all(sent, 2);
	close_pair(sv);
}

/* Ownership across receives and iteration */

static void next_receive_closes_undelivered_fds(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2))];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	int sv[2], sent[2], before;

	(void)state;
	pair(SOCK_SEQPACKET, sv);
	open_files(sent, 2);
	before = open_fd_count();
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 2);
	send_fds(sv[0], NULL, 0);
	receive(sv[1], &b);
	assert_fd_count(before + 2, "after the first receive");
	receive(sv[1], &b);
	assert_fd_count(before, "after a second receive without fds");
	assert_false(cmsgbuf_recv_next(&b, &m));
	close_all(sent, 2);
	close_pair(sv);
}

static void failed_receive_leaves_the_buffer_empty(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2))];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	char c;
	struct iovec iov = { &c, 1 };
	int sv[2], sent[2], before;

	(void)state;
	pair(SOCK_DGRAM, sv);
	open_files(sent, 2);
	before = open_fd_count();
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 2);
	receive(sv[1], &b);
	assert_fd_count(before + 2, "after the receive");
	assert_int_equal(cmsgbuf_recvmsg(sv[1], &iov, 1, &b, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_fd_count(before, "after a failed receive");
	assert_false(cmsgbuf_recv_next(&b, &m));
	assert_false(cmsgbuf_recv_truncated(&b));
	assert_int_equal(cmsgbuf_recv_flags(&b), 0);
	close_all(sent, 2);
	close_pair(sv);
}

/* The walk had ended, so the receive closes nothing first; it must still forget the last one. */
static void failed_receive_after_a_full_walk_forgets_the_last_receive(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	char c;
	struct iovec iov = { &c, 1 };
	int sv[2], sent[8], got[8], before;
	size_t n;

	(void)state;
	if (!truncation_is_observable(SOCK_DGRAM))
		return;
	pair(SOCK_DGRAM, sv);
	open_files(sent, 8);
	before = open_fd_count();
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 8);
	receive(sv[1], &b);
	assert_true(cmsgbuf_recv_truncated(&b));
	n = next_rights(&b, got, 8);
	close_all(got, n);
	assert_false(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(cmsgbuf_recvmsg(sv[1], &iov, 1, &b, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	assert_false(cmsgbuf_recv_truncated(&b));
	assert_int_equal(cmsgbuf_recv_flags(&b), 0);
	assert_false(cmsgbuf_recv_next(&b, &m));
	assert_fd_count(before, "after the failed receive");
	close_all(sent, 8);
	close_pair(sv);
}

static void stopping_early_then_clear_closes_the_rest(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE + CMSGBUF_RIGHTS_SPACE(2))];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	int sv[2], sent[2], before;

	(void)state;
	pair(SOCK_STREAM, sv);
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	open_files(sent, 2);
	before = open_fd_count();
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 2);
	receive(sv[1], &b);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(m.type, CMSGBUF_SCM_CREDENTIALS);
	assert_fd_count(before + 2, "with the rights message not yet yielded");
	cmsgbuf_recv_clear(&b);
	assert_fd_count(before, "after clear");
	close_all(sent, 2);
	close_pair(sv);
}

/* Yield one message, stop, resume: each message once, in order, then the end. */
static void resume_after_partial_iteration(void **state)
{
	unsigned char space[1 + CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE + CMSGBUF_RIGHTS_SPACE(1))];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	int sv[2], sent[1], before;

	(void)state;
	pair(SOCK_DGRAM, sv);
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	open_files(sent, 1);
	/* Misaligned on purpose: the resumed walk must still find aligned headers. */
	cmsgbuf_recv_init(&b, space + 1, sizeof(space) - 1);
	before = open_fd_count();
	send_fds(sv[0], sent, 1);
	receive(sv[1], &b);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(m.type, CMSGBUF_SCM_CREDENTIALS);
	/* stopped: the fd not yet yielded is still the buffer's */
	assert_fd_count(before + 1, "after yielding the credentials");
	expect_rights(&b, sent, 1);
	assert_false(cmsgbuf_recv_next(&b, &m));
	assert_false(cmsgbuf_recv_next(&b, &m));
	close_all(sent, 1);
	close_pair(sv);
}

/*
 * A seqpacket pair whose receiving end has SO_PASSPIDFD (Linux 6.5 on); false,
 * with a message and no pair left open, where the kernel has no such option.
 */
static bool pidfd_pair(int sv[2])
{
	int one = 1;

	pair(SOCK_SEQPACKET, sv);
	if (setsockopt(sv[1], SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one)) == 0)
		return true;
	/* An older kernel sends no pidfd: nothing to own. */
	assert_int_equal(errno, ENOPROTOOPT);
	print_message("# SO_PASSPIDFD: %s; no pidfd to receive\n", strerror(errno));
	close_pair(sv);
	return false;
}

/* SO_PASSPIDFD: the pidfd is a descriptor too. */
static void pidfd_is_handed_out_or_closed(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE + CMSGBUF_PIDFD_SPACE)];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	int sv[2], before, pidfd = -1;

	(void)state;
	if (!pidfd_pair(sv))
		return;
	before = open_fd_count();
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], NULL, 0);
	receive(sv[1], &b);
	assert_fd_count(before + 1, "after receiving a pidfd");
	cmsgbuf_recv_clear(&b);
	assert_fd_count(before, "after clear");

	send_fds(sv[0], NULL, 0);
	receive(sv[1], &b);
	do
		assert_true(cmsgbuf_recv_next(&b, &m));
	while (m.type != SCM_PIDFD);
	assert_int_equal(cmsgbuf_recv_take_fds(&b, &m, &pidfd, 1), 1);
	assert_cloexec(pidfd);
	cmsgbuf_recv_clear(&b);
	assert_true(is_open(pidfd));
	close(pidfd);
	assert_fd_count(before, "after closing the pidfd handed out");
	close_pair(sv);
}

/*
 * With no fd number free, the kernel cannot install the pidfd: it sends the
 * errno in its place and no MSG_CTRUNC (Linux 6.18). That value is no fd.
 */
static void pidfd_that_could_not_be_installed_counts_as_no_fd(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE + CMSGBUF_PIDFD_SPACE)];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	struct limiter lim;
	int sv[2], before, got = -1, value;

	(void)state;
	if (!pidfd_pair(sv))
		return;
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], NULL, 0);
	before = open_fd_count();
	lim = limit_lower(0);
	receive(sv[1], &b);
	limit_restore(lim);
	do
		assert_true(cmsgbuf_recv_next(&b, &m));
	while (m.type != SCM_PIDFD);
	assert_int_equal(m.len, sizeof(value));
	memcpy(&value, m.data, sizeof(value));
	assert_int_equal(value, -EMFILE);
	assert_int_equal(cmsgbuf_msg_nfds(&m), 0);
	assert_int_equal(cmsgbuf_recv_take_fds(&b, &m, &got, 1), 0);
	assert_int_equal(got, -1);
	assert_false(cmsgbuf_recv_truncated(&b));
	cmsgbuf_recv_clear(&b);
	assert_fd_count(before, "after a receive whose pidfd could not be installed");
	close_pair(sv);
}

/* Credentials */

static long proc_number(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	assert_non_null(f);
	assert_int_equal(fscanf(f, "%ld", &v), 1);
	fclose(f);
	return v;
}

/* A datagram sent before the receiver asked for credentials carries none. */
static void missing_credentials_read_as_none(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE)];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	struct cmsgbuf_ucred cred;
	int sv[2];

	(void)state;
	pair(SOCK_DGRAM, sv);
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], NULL, 0);
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	receive(sv[1], &b);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_true(cmsgbuf_msg_credentials(&m, &cred));
	/* pid 0 and the overflow ids, not -1 as sometimes said */
	assert_int_equal(cred.pid, 0);
	assert_int_equal(cred.uid, proc_number("/proc/sys/kernel/overflowuid"));
	assert_int_equal(cred.gid, proc_number("/proc/sys/kernel/overflowgid"));
	assert_true(cmsgbuf_ucred_none(&cred));
	close_pair(sv);
}

/* No process has uid or gid -1: either one reads as no credentials, as pid 0 does. */
static void uid_or_gid_of_minus_1_reads_as_none(void **state)
{
	const struct cmsgbuf_ucred none[] = { { 0, 1000, 100 }, { 42, (uid_t)-1, 100 }, { 42, 1000, (gid_t)-1 } };
	const struct cmsgbuf_ucred some = { 42, 1000, 100 };

	(void)state;
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		if (!cmsgbuf_ucred_none(&none[i]))
			fail_msg("credentials %zu (pid %ld) do not read as none", i, (long)none[i].pid);
	assert_false(cmsgbuf_ucred_none(&some));
}

/* Addresses, alignment, sizing */

static void recvmsg_from_returns_the_sender_address(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	struct sockaddr_un a = { .sun_family = AF_UNIX }, from;
	socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 +
			 (socklen_t)snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "cmsgbuf-test-recv-%d", (int)getpid());
	socklen_t fromlen = sizeof(from);
	struct cmsgbuf_recv b;
	char c = 0;
	struct iovec iov = { &c, 1 };
	int sv[2], sent[1];

	(void)state;
	pair(SOCK_DGRAM, sv);
	assert_int_equal(bind(sv[0], (struct sockaddr *)&a, alen), 0);
	open_files(sent, 1);
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 1);
	assert_int_equal(cmsgbuf_recvmsg_from(sv[1], (struct sockaddr *)&from, &fromlen, &iov, 1, &b, 0), 1);
	assert_int_equal(fromlen, alen);
	assert_memory_equal(&from, &a, alen);
	expect_rights(&b, sent, 1);
	close_all(sent, 1);
	close_pair(sv);
}

/* As the header says: @addr is ignored without @addrlen, and left as it was. */
static void recvmsg_from_without_addrlen_leaves_addr_alone(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	struct sockaddr_un from, untouched;
	struct cmsgbuf_recv b;
	char c = 0;
	struct iovec iov = { &c, 1 };
	int sv[2], sent[1];

	(void)state;
	pair(SOCK_DGRAM, sv);
	open_files(sent, 1);
	memset(&from, 0xaa, sizeof(from));
	untouched = from;
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], sent, 1);
	assert_int_equal(cmsgbuf_recvmsg_from(sv[1], (struct sockaddr *)&from, NULL, &iov, 1, &b, 0), 1);
	assert_memory_equal(&from, &untouched, sizeof(from));
	expect_rights(&b, sent, 1);
	close_all(sent, 1);
	close_pair(sv);
}

/* At every misalignment, CMSGBUF_SPACE() of the rights space holds them all. */
static void space_at_any_alignment_holds_what_the_macros_say(void **state)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2)) + CMSGBUF_HDR_ALIGN];
	struct cmsgbuf_recv b;
	int sv[2], sent[2];

	(void)state;
	pair(SOCK_DGRAM, sv);
	open_files(sent, 2);
	for (size_t mis = 0; mis < CMSGBUF_HDR_ALIGN; mis++) {
		cmsgbuf_recv_init(&b, space + mis, CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2)));
		send_fds(sv[0], sent, 2);
		receive(sv[1], &b);
		if (cmsgbuf_recv_truncated(&b))
			fail_msg("truncated at misalignment %zu", mis);
		expect_rights(&b, sent, 2);
	}
	close_all(sent, 2);
	close_pair(sv);
}

/*
 * The sizing note's fact: space of CMSG_LEN() rather than CMSG_SPACE() (20
 * bytes instead of 24 for one fd on 64-bit) holds the fd on Linux.
 */
static void cmsg_len_sized_space_holds_the_fd_on_linux(void **state)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_LEN(sizeof(int))];
	} space;
	struct cmsgbuf_recv b;
	int sv[2], sent[1];

	(void)state;
	pair(SOCK_DGRAM, sv);
	open_files(sent, 1);
	cmsgbuf_recv_init(&b, space.bytes, sizeof(space.bytes));
	send_fds(sv[0], sent, 1);
	receive(sv[1], &b);
	assert_false(cmsgbuf_recv_truncated(&b));
	expect_rights(&b, sent, 1);
	close_all(sent, 1);
	close_pair(sv);
}

/* Hand-crafted bytes, through adopt() */

static union {
	struct cmsghdr align;
	unsigned char bytes[256];
} craft;

static void craft_header(size_t off, size_t cmsg_len, int level, int type)
{
	write_header(craft.bytes, off, cmsg_len, level, type);
}

/* An SCM_RIGHTS header at @off claiming @cmsg_len bytes, then @n fds. */
static void craft_rights(size_t off, size_t cmsg_len, const int *fds, size_t n)
{
	craft_header(off, cmsg_len, SOL_SOCKET, SCM_RIGHTS);
	memcpy(craft.bytes + off + CMSG_LEN(0), fds, n * sizeof(int));
}

/* The SCM_RIGHTS message a taker is handed, its payload @len bytes at @off of craft's bytes: forged, not walked to. */
static struct cmsgbuf_msg forged_rights_at(size_t off, size_t len)
{
	struct cmsgbuf_msg m;

	memset(&m, 0, sizeof(m));
	m.level = SOL_SOCKET;
	m.type = SCM_RIGHTS;
	m.data = craft.bytes + off;
	m.len = len;
	return m;
}

static void adopt(struct cmsgbuf_recv *b, void *control, size_t len, int flags)
{
	struct msghdr mh;

	memset(&mh, 0, sizeof(mh));
	mh.msg_control = control;
	mh.msg_controllen = len;
	mh.msg_flags = flags;
	assert_true(cmsgbuf_recv_adopt(b, &mh));
}

/* A real fd, as the kernel would have installed it for a receive. */
static int installed_fd(void)
{
	int fds[1];

	open_files(fds, 1);
	return fds[0];
}

static void unknown_message_is_yielded_as_it_is(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_header(0, CMSG_LEN(5), 0x7777, 9);
	memcpy(craft.bytes + CMSG_LEN(0), "hello", 5);
	craft_header(CMSG_SPACE(5), CMSG_LEN(0), SOL_SOCKET, 0x55);
	adopt(&b, craft.bytes, CMSG_SPACE(5) + CMSG_SPACE(0), 0);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(m.level, 0x7777);
	assert_int_equal(m.type, 9);
	assert_int_equal(m.len, 5);
	assert_memory_equal(m.data, "hello", 5);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(m.level, SOL_SOCKET);
	assert_int_equal(m.type, 0x55);
	assert_int_equal(m.len, 0);
	assert_false(cmsgbuf_recv_next(&b, &m));
	cmsgbuf_recv_clear(&b);
}

/* At the end of the walk the message is zeroed, not left as it was. */
static void end_of_walk_zeroes_the_message(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m = { 1, 2, { &m }, 3, true, true };

	(void)state;
	assert_false(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(m.level, 0);
	assert_int_equal(m.type, 0);
	assert_null(m.data);
	assert_int_equal(m.len, 0);
	/* and after a malformed header (cmsg_len below a header's size) */
	memset(&craft, 0, sizeof(craft));
	craft_header(0, CMSG_LEN(0) - 1, 0x7777, 9);
	adopt(&b, craft.bytes, CMSG_SPACE(0), 0);
	m.level = 1;
	m.len = 3;
	assert_false(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(m.level, 0);
	assert_int_equal(m.len, 0);
	cmsgbuf_recv_clear(&b);
}

/* The last cmsg_len runs past the received length: clamped, its fds kept. */
static void cmsg_len_past_the_end_is_clamped(void **state)
{
	const size_t lens[] = { CMSG_LEN(2 * sizeof(int)) + 1, CMSG_LEN(100), UINT32_MAX, SIZE_MAX };
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	int fds[2], got[2];

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(&craft, 0, sizeof(craft));
		craft_header(0, CMSG_LEN(1), 0x7777, 1);
		fds[0] = installed_fd();
		fds[1] = installed_fd();
		craft_rights(CMSG_SPACE(1), lens[i], fds, 2);
		adopt(&b, craft.bytes, CMSG_SPACE(1) + CMSG_LEN(sizeof(fds)), MSG_CTRUNC);
		assert_true(cmsgbuf_recv_truncated(&b));
		assert_true(cmsgbuf_recv_next(&b, &m));
		assert_int_equal(m.level, 0x7777);
		if (i % 2 == 0) {
			/* handed out */
			assert_int_equal(next_rights(&b, got, 2), 2);
			assert_memory_equal(got, fds, sizeof(fds));
			assert_false(cmsgbuf_recv_next(&b, &m));
			close_all(got, 2);
		} else {
			/* or closed */
			cmsgbuf_recv_clear(&b);
			assert_false(is_open(fds[0]) || is_open(fds[1]));
		}
		cmsgbuf_recv_clear(&b);
	}
}

/* A rights payload of 6 bytes: its one whole fd is handed out or closed. */
/* Adopted control data of more than 4 GiB: the cut cmsg_len is stored whole. */
static void cmsg_len_cut_above_4_gib_is_stored_whole(void **state)
{
	/* 4 GiB and a message; 64-bit only (it wraps on 32-bit, which returns first) */
	const size_t len = (size_t)UINT32_MAX + 1 + CMSG_SPACE(1);
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	unsigned char *p;
	struct cmsghdr h;

	(void)state;
	if (sizeof(size_t) < 8 || sizeof(h.cmsg_len) < 8) {
		print_message("# a %zu-byte cmsg_len cannot exceed 4 GiB\n", sizeof(h.cmsg_len));
		return;
	}
	/* Address space only: the pages past the first are never touched. */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		print_message("# mmap of %zu bytes: %s; not tested\n", len, strerror(errno));
		return;
	}
	write_header(p, 0, SIZE_MAX, 0x7777, 1);
	adopt(&b, p, len, 0);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_true(m.len == len - CMSG_LEN(0));
	memcpy(&h, p, sizeof(h));
	assert_true(h.cmsg_len == len);
	cmsgbuf_recv_clear(&b);
	assert_int_equal(munmap(p, len), 0);
}

/* A pidfd the kernel could not install arrives as its negative errno: no fd. */
static void pidfd_message_holding_an_errno_counts_as_no_fd(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	int err = -EMFILE, got = 7;

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_header(0, CMSG_LEN(sizeof(err)), SOL_SOCKET, CMSGBUF_SCM_PIDFD);
	memcpy(craft.bytes + CMSG_LEN(0), &err, sizeof(err));
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(err)), 0);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(cmsgbuf_msg_nfds(&m), 0);
	assert_int_equal(cmsgbuf_recv_take_fds(&b, &m, &got, 1), 0);
	assert_int_equal(got, 7);
	assert_false(cmsgbuf_recv_next(&b, &m));
	cmsgbuf_recv_clear(&b);
}

static void six_byte_rights_payload_hands_out_its_whole_fd(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	int fd, got[2];

	(void)state;
	memset(&craft, 0, sizeof(craft));
	fd = installed_fd();
	craft_rights(0, CMSG_LEN(6), &fd, 1);
	memset(craft.bytes + CMSG_LEN(sizeof(fd)), 0xff, 2);
	adopt(&b, craft.bytes, CMSG_SPACE(6), 0);
	assert_int_equal(next_rights(&b, got, 2), 1);
	assert_int_equal(got[0], fd);
	cmsgbuf_recv_clear(&b);
	assert_true(is_open(fd));
	close(fd);
}

static void six_byte_rights_payload_closes_its_whole_fd(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	int fd;

	(void)state;
	memset(&craft, 0, sizeof(craft));
	fd = installed_fd();
	craft_rights(0, CMSG_LEN(6), &fd, 1);
	memset(craft.bytes + CMSG_LEN(sizeof(fd)), 0xff, 2);
	adopt(&b, craft.bytes, CMSG_SPACE(6), 0);
	cmsgbuf_recv_clear(&b);
	assert_false(is_open(fd));
}

static void credentials_reader_checks_the_length_exactly(void **state)
{
	const size_t lens[] = { 0, sizeof(struct cmsgbuf_ucred) - 1, sizeof(struct cmsgbuf_ucred) + 1,
				sizeof(struct cmsgbuf_ucred) + sizeof(int) };
	struct cmsgbuf_ucred want = { 42, 1000, 100 }, cred = { 7, 7, 7 };
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(&craft, 0, sizeof(craft));
		craft_header(0, CMSG_LEN(lens[i]), SOL_SOCKET, CMSGBUF_SCM_CREDENTIALS);
		adopt(&b, craft.bytes, CMSG_SPACE(lens[i]), 0);
		assert_true(cmsgbuf_recv_next(&b, &m));
		errno = 0;
		assert_false(cmsgbuf_msg_credentials(&m, &cred));
		assert_int_equal(errno, EINVAL);
		assert_int_equal(cred.pid, 7);
		errno = 0;
		assert_false(cmsgbuf_recv_credentials(&b, &cred));
		assert_int_equal(errno, EINVAL);
		assert_int_equal(cred.pid, 7);
		cmsgbuf_recv_clear(&b);
	}
	memset(&craft, 0, sizeof(craft));
	craft_header(0, CMSG_LEN(sizeof(want)), SOL_SOCKET, CMSGBUF_SCM_CREDENTIALS);
	memcpy(craft.bytes + CMSG_LEN(0), &want, sizeof(want));
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(want)), 0);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_true(cmsgbuf_msg_credentials(&m, &cred));
	assert_memory_equal(&cred, &want, sizeof(want));
	memset(&cred, 0, sizeof(cred));
	assert_true(cmsgbuf_recv_credentials(&b, &cred));
	assert_memory_equal(&cred, &want, sizeof(want));
	m.type = SCM_RIGHTS;
	assert_false(cmsgbuf_msg_credentials(&m, &cred));
	cmsgbuf_recv_clear(&b);
}

/* Take part of one: more fds than room: none taken, all still the buffer's, closed by clear. */
static void taking_into_too_small_an_array_takes_none(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	int fds[3], got[2] = { -5, -5 }, before;

	(void)state;
	memset(&craft, 0, sizeof(craft));
	for (size_t i = 0; i < 3; i++)
		fds[i] = installed_fd();
	before = open_fd_count();
	craft_rights(0, CMSG_LEN(sizeof(fds)), fds, 3);
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(fds)), 0);
	assert_true(cmsgbuf_recv_next(&b, &m));
	errno = 0;
	assert_int_equal(cmsgbuf_recv_take_fds(&b, &m, got, 2), -1);
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(got[0], -5);
	assert_int_equal(got[1], -5);
	assert_int_equal(cmsgbuf_msg_nfds(&m), 3);
	assert_fd_count(before, "after a take refused");
	cmsgbuf_recv_clear(&b);
	assert_fd_count(before - 3, "after clear");
	for (size_t i = 0; i < 3; i++)
		assert_false(is_open(fds[i]));
}

/* A take of @m that @b must refuse: -1 with EINVAL, and no byte of the caller's array written. */
static void assert_take_refused(struct cmsgbuf_recv *b, const struct cmsgbuf_msg *m, const char *what)
{
	int got[4] = { -5, -5, -5, -5 };
	ssize_t n;

	errno = 0;
	n = cmsgbuf_recv_take_fds(b, m, got, 4);
	if (n != -1 || errno != EINVAL)
		fail_msg("take of %s: %zd, errno %d; expected -1 with EINVAL", what, n, errno);
	for (size_t i = 0; i < 4; i++)
		if (got[i] != -5)
			fail_msg("take of %s refused, but wrote %d to slot %zu", what, got[i], i);
}

/*
 * A forged message whose payload follows a rights header written inside
 * another message's payload, at an offset no walk reaches (misaligned): not
 * a message of the buffer's, and its fd is not taken.
 */
static void taking_a_header_forged_at_a_misaligned_offset_is_einval(void **state)
{
	const size_t fake = CMSG_LEN(0) + 2; /* inside the first payload, misaligned on every ABI */
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	int fd = installed_fd(), slot;

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_header(0, CMSG_LEN(32), 0x7777, 1);
	craft_rights(fake, CMSG_LEN(sizeof(fd)), &fd, 1);
	adopt(&b, craft.bytes, CMSG_SPACE(32), 0);
	m = forged_rights_at(fake + CMSG_LEN(0), sizeof(fd));
	assert_int_equal(cmsgbuf_msg_nfds(&m), 1);
	assert_take_refused(&b, &m, "a header at a misaligned offset");
	memcpy(&slot, m.data, sizeof(slot));
	assert_int_equal(slot, fd);
	cmsgbuf_recv_clear(&b);
	/* the walk yields one message of another level: no fd of the buffer's */
	assert_true(is_open(fd));
	close(fd);
}

/*
 * A rights header whose fixed part starts inside the bytes adopted and ends
 * past them: whatever lies past them (here a whole rights message, fd
 * included) is not the buffer's, and is not taken.
 */
static void taking_a_header_that_runs_past_the_bytes_is_einval(void **state)
{
	const size_t at = CMSG_SPACE(0);
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	int fd = installed_fd();

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_header(0, CMSG_LEN(0), 0x7777, 1);
	craft_rights(at, CMSG_LEN(sizeof(fd)), &fd, 1);
	/* the adopted bytes end one alignment unit into the rights header */
	adopt(&b, craft.bytes, at + CMSG_ALIGN(1), 0);
	m = forged_rights_at(at + CMSG_LEN(0), sizeof(fd));
	assert_take_refused(&b, &m, "a header that runs past the bytes");
	cmsgbuf_recv_clear(&b);
	assert_true(is_open(fd));
	close(fd);
}

/*
 * A rights message of two fds of which the bytes adopted hold one (cmsg_len
 * says two, the walk not yet run): a message that claims the two is refused,
 * the fd past the bytes is not taken, and the one inside stays the buffer's.
 */
static void taking_a_message_longer_than_the_bytes_is_einval(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	int fds[2] = { installed_fd(), installed_fd() };

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_rights(0, CMSG_LEN(sizeof(fds)), fds, 2);
	adopt(&b, craft.bytes, CMSG_LEN(sizeof(int)), 0);
	m = forged_rights_at(CMSG_LEN(0), sizeof(fds));
	assert_int_equal(cmsgbuf_msg_nfds(&m), 2);
	assert_take_refused(&b, &m, "a message longer than the bytes");
	cmsgbuf_recv_clear(&b);
	assert_false(is_open(fds[0]));
	assert_true(is_open(fds[1]));
	close(fds[1]);
}

/* An IP message yielded and relabelled SOL_SOCKET: its payload counts as fds, but none is taken. */
static void taking_a_message_relabelled_to_socket_level_is_einval(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	int fd = installed_fd(), slot;

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_header(0, CMSG_LEN(sizeof(fd)), IPPROTO_IP, SCM_RIGHTS);
	memcpy(craft.bytes + CMSG_LEN(0), &fd, sizeof(fd));
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(fd)), 0);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(cmsgbuf_msg_nfds(&m), 0);
	m.level = SOL_SOCKET;
	assert_int_equal(cmsgbuf_msg_nfds(&m), 1);
	assert_take_refused(&b, &m, "an IP message relabelled SOL_SOCKET");
	memcpy(&slot, m.data, sizeof(slot));
	assert_int_equal(slot, fd);
	cmsgbuf_recv_clear(&b);
	assert_true(is_open(fd));
	close(fd);
}

/* A slot that holds -1 beside real fds is no fd: the take skips it and takes the others in order. */
static void taking_skips_slots_that_hold_minus_1(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	int fds[3] = { -1, installed_fd(), installed_fd() }, got[3] = { -5, -5, -5 }, before;

	(void)state;
	before = open_fd_count();
	memset(&craft, 0, sizeof(craft));
	craft_rights(0, CMSG_LEN(sizeof(fds)), fds, 3);
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(fds)), 0);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(cmsgbuf_msg_nfds(&m), 2);
	assert_int_equal(cmsgbuf_recv_take_fds(&b, &m, got, 2), 2);
	assert_int_equal(got[0], fds[1]);
	assert_int_equal(got[1], fds[2]);
	assert_int_equal(got[2], -5);
	assert_int_equal(cmsgbuf_msg_nfds(&m), 0);
	cmsgbuf_recv_clear(&b);
	assert_fd_count(before, "after clear: both fds taken, none closed");
	close_all(got, 2);
}

/* Refused before any iovec is read, and before the held fds are closed. */
static void recvmsg_with_iovcnt_above_int_max_is_emsgsize(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	char c;
	struct iovec iov = { &c, 1 };
	int fd = installed_fd();

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_rights(0, CMSG_LEN(sizeof(fd)), &fd, 1);
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(fd)), 0);
	errno = 0;
	assert_int_equal(cmsgbuf_recvmsg(-1, &iov, (size_t)INT_MAX + 1, &b, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_true(is_open(fd));
	assert_true(cmsgbuf_recv_next(&b, &m));
	cmsgbuf_recv_clear(&b);
	assert_false(is_open(fd));
}

/* Bytes after the last message, too few for a header: the walk ends there. */
static void trailing_partial_header_ends_the_walk(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_header(0, CMSG_LEN(1), 0x7777, 1);
	memset(craft.bytes + CMSG_SPACE(1), 0xff, CMSG_LEN(0) - 1);
	adopt(&b, craft.bytes, CMSG_SPACE(1) + CMSG_LEN(0) - 1, 0);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(m.level, 0x7777);
	assert_false(cmsgbuf_recv_next(&b, &m));
	cmsgbuf_recv_clear(&b);
}

/* A cmsg_len shorter than a header, first or after a message: the walk ends there. */
static void cmsg_len_below_a_header_ends_the_walk(void **state)
{
	const size_t lens[] = { 0, CMSG_LEN(0) - 1 };
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(&craft, 0, sizeof(craft));
		craft_header(0, lens[i], SOL_SOCKET, SCM_RIGHTS);
		adopt(&b, craft.bytes, CMSG_SPACE(sizeof(int)), 0);
		assert_false(cmsgbuf_recv_next(&b, &m));
		cmsgbuf_recv_clear(&b);
		craft_header(0, CMSG_LEN(1), 0x7777, 1);
		craft_header(CMSG_SPACE(1), lens[i], SOL_SOCKET, SCM_RIGHTS);
		adopt(&b, craft.bytes, CMSG_SPACE(1) + CMSG_SPACE(sizeof(int)), 0);
		assert_true(cmsgbuf_recv_next(&b, &m));
		assert_int_equal(m.level, 0x7777);
		assert_false(cmsgbuf_recv_next(&b, &m));
		cmsgbuf_recv_clear(&b);
	}
}

/* Only SOL_SOCKET messages carry fds or credentials, whatever their type number. */
static void other_levels_carry_no_fds_and_no_credentials(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_ucred cred;
	struct cmsgbuf_msg m;
	int fd = installed_fd(), got[1] = { -5 };

	(void)state;
	memset(&craft, 0, sizeof(craft));
	/* The payloads of an SCM_RIGHTS and of an SCM_CREDENTIALS, at another level. */
	craft_header(0, CMSG_LEN(sizeof(fd)), IPPROTO_IP, SCM_RIGHTS);
	memcpy(craft.bytes + CMSG_LEN(0), &fd, sizeof(fd));
	craft_header(CMSG_SPACE(sizeof(fd)), CMSG_LEN(sizeof(cred)), IPPROTO_IP, CMSGBUF_SCM_CREDENTIALS);
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(fd)) + CMSG_SPACE(sizeof(cred)), 0);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(cmsgbuf_msg_nfds(&m), 0);
	assert_int_equal(cmsgbuf_recv_take_fds(&b, &m, got, 1), 0);
	assert_int_equal(got[0], -5);
	assert_true(cmsgbuf_recv_next(&b, &m));
	errno = 0;
	assert_false(cmsgbuf_msg_credentials(&m, &cred));
	assert_int_equal(errno, EINVAL);
	cmsgbuf_recv_clear(&b);
	assert_true(is_open(fd));
	close(fd);
}

/* A negative number in a rights payload names no fd: clear closes the others only. */
static void negative_fd_in_rights_is_not_closed(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	int fds[2] = { -1, installed_fd() };

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_rights(0, CMSG_LEN(sizeof(fds)), fds, 2);
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(fds)), 0);
	cmsgbuf_recv_clear(&b);
	assert_false(is_open(fds[1]));
}

/* Misaligned control data is refused, and stays the caller's. */
static void adopt_refuses_misaligned_control_and_changes_nothing(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	struct msghdr mh;
	int fd = installed_fd();

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_rights(1, CMSG_LEN(sizeof(fd)), &fd, 1);
	memset(&mh, 0, sizeof(mh));
	mh.msg_control = craft.bytes + 1;
	mh.msg_controllen = CMSG_SPACE(sizeof(fd));
	errno = 0;
	assert_false(cmsgbuf_recv_adopt(&b, &mh));
	assert_int_equal(errno, EINVAL);
	assert_false(cmsgbuf_recv_next(&b, &m));
	cmsgbuf_recv_clear(&b);
	assert_true(is_open(fd));
	close(fd);
}

/* A NULL msg_control is no control data, whatever msg_controllen says. */
static void adopt_of_null_control_gives_no_message(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;

	(void)state;
	adopt(&b, NULL, sizeof(craft.bytes), 0);
	assert_false(cmsgbuf_recv_next(&b, &m));
	/* and it holds nothing: a second adopt is no EBUSY */
	adopt(&b, NULL, 0, 0);
	cmsgbuf_recv_clear(&b);
}

/* Ownership, one test per sequence of calls, over real sockets */

#define OWN_SPACE CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE + CMSGBUF_RIGHTS_SPACE(3))

/* What the tests below share: a pair, 3 files to send, a receive buffer, the fds open before. */
struct own {
	unsigned char space[OWN_SPACE];
	struct cmsgbuf_recv b;
	int sv[2], sent[3], before;
};

static void own_open(struct own *t, int type)
{
	pair(type, t->sv);
	open_files(t->sent, 3);
	t->before = open_fd_count();
	cmsgbuf_recv_init(&t->b, t->space, sizeof(t->space));
}

static void own_close(struct own *t)
{
	cmsgbuf_recv_clear(&t->b);
	assert_fd_count(t->before, "at the end, with every fd taken closed");
	close_all(t->sent, 3);
	close_pair(t->sv);
}

/*
 * The natural server loop that reads only credentials: the fds of the
 * message it ignores stay the buffer's, and the next receive closes them
 * (the issue: 10 open fds became 13, then 16, ...).
 */
static void ignoring_a_message_leaks_nothing(void **state)
{
	struct cmsgbuf_ucred cred = { 0, 0, 0 };
	struct cmsgbuf_msg m;
	struct own t;

	(void)state;
	own_open(&t, SOCK_SEQPACKET);
	set_int_opt(t.sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	for (int round = 0; round < 3; round++) {
		send_fds(t.sv[0], t.sent, 3);
		receive(t.sv[1], &t.b);
		assert_fd_count(t.before + 3, "after a receive: the buffer owns 3 fds");
		while (cmsgbuf_recv_next(&t.b, &m))
			(void)cmsgbuf_msg_credentials(&m, &cred);
		assert_int_equal(cred.pid, getpid());
		assert_fd_count(t.before + 3, "after a walk that ignored the rights message");
	}
	cmsgbuf_recv_clear(&t.b);
	assert_fd_count(t.before, "after clear");
	own_close(&t);
}

/* Stop after yielding the rights message, without taking: clear closes its fds. */
static void stopping_at_a_yielded_message_then_clear_closes_its_fds(void **state)
{
	struct cmsgbuf_msg m;
	struct own t;

	(void)state;
	own_open(&t, SOCK_DGRAM);
	send_fds(t.sv[0], t.sent, 2);
	receive(t.sv[1], &t.b);
	assert_true(cmsgbuf_recv_next(&t.b, &m));
	assert_int_equal(cmsgbuf_msg_nfds(&m), 2);
	cmsgbuf_recv_clear(&t.b);
	assert_fd_count(t.before, "after clear");
	own_close(&t);
}

/* Taken fds survive every later clear; untaken ones are closed once. */
static void clearing_twice_closes_nothing_twice(void **state)
{
	struct cmsgbuf_msg m;
	struct own t;
	int got[2];

	(void)state;
	own_open(&t, SOCK_DGRAM);
	send_fds(t.sv[0], t.sent, 2);
	receive(t.sv[1], &t.b);
	assert_int_equal(next_rights(&t.b, got, 2), 2);
	cmsgbuf_recv_clear(&t.b);
	cmsgbuf_recv_clear(&t.b);
	assert_fd_count(t.before + 2, "after two clears, the 2 fds taken");
	assert_received(got, t.sent, 2);
	close_all(got, 2);

	send_fds(t.sv[0], t.sent, 2);
	receive(t.sv[1], &t.b);
	assert_true(cmsgbuf_recv_next(&t.b, &m));
	cmsgbuf_recv_clear(&t.b);
	assert_fd_count(t.before, "after a clear of 2 fds not taken");
	/* fds reuse the numbers just closed: a second close would hit these */
	open_files(got, 2);
	cmsgbuf_recv_clear(&t.b);
	assert_true(is_open(got[0]) && is_open(got[1]));
	close_all(got, 2);
	own_close(&t);
}

/* A message yielded and left alone: the next receive closes its fds, not those taken. */
static void receiving_again_closes_what_was_not_taken(void **state)
{
	struct cmsgbuf_msg m;
	struct own t;
	int got[3];

	(void)state;
	own_open(&t, SOCK_SEQPACKET);
	send_fds(t.sv[0], t.sent, 3);
	send_fds(t.sv[0], t.sent, 1);
	send_fds(t.sv[0], NULL, 0);
	receive(t.sv[1], &t.b);
	assert_true(cmsgbuf_recv_next(&t.b, &m));
	assert_fd_count(t.before + 3, "after the first receive, its message yielded");
	receive(t.sv[1], &t.b);
	assert_fd_count(t.before + 1, "after a receive again: the 3 fds not taken are closed");
	assert_int_equal(next_rights(&t.b, got, 3), 1);
	receive(t.sv[1], &t.b);
	assert_fd_count(t.before + 1, "after a third receive: the fd taken is open");
	assert_received(got, t.sent, 1);
	close_all(got, 1);
	own_close(&t);
}

/* A second take of a message takes none; clear leaves the fds of the first alone. */
static void taking_twice_takes_none_the_second_time(void **state)
{
	int got[2], again[2] = { -5, -5 };
	struct cmsgbuf_msg m;
	struct own t;

	(void)state;
	own_open(&t, SOCK_STREAM);
	send_fds(t.sv[0], t.sent, 2);
	receive(t.sv[1], &t.b);
	assert_true(cmsgbuf_recv_next(&t.b, &m));
	assert_int_equal(cmsgbuf_recv_take_fds(&t.b, &m, got, 2), 2);
	assert_int_equal(cmsgbuf_msg_nfds(&m), 0);
	assert_int_equal(cmsgbuf_recv_take_fds(&t.b, &m, again, 2), 0);
	assert_int_equal(again[0], -5);
	cmsgbuf_recv_clear(&t.b);
	assert_fd_count(t.before + 2, "after clear, the 2 fds taken once");
	assert_received(got, t.sent, 2);
	close_all(got, 2);
	own_close(&t);
}

/* A message of a cleared buffer is no longer the buffer's: EINVAL, nothing opened or closed. */
static void taking_after_clear_is_einval(void **state)
{
	int got[2] = { -5, -5 };
	struct cmsgbuf_msg m;
	struct own t;

	(void)state;
	own_open(&t, SOCK_DGRAM);
	send_fds(t.sv[0], t.sent, 2);
	receive(t.sv[1], &t.b);
	assert_true(cmsgbuf_recv_next(&t.b, &m));
	cmsgbuf_recv_clear(&t.b);
	errno = 0;
	assert_int_equal(cmsgbuf_recv_take_fds(&t.b, &m, got, 2), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(got[0], -5);
	assert_fd_count(t.before, "after clear and a refused take");
	own_close(&t);
}

/* A message another buffer yielded: EINVAL from this one, each buffer keeps its own fds. */
static void taking_another_buffers_message_is_einval(void **state)
{
	unsigned char space[OWN_SPACE];
	struct cmsgbuf_recv other;
	struct cmsgbuf_msg mine, theirs;
	int got[2];
	struct own t;

	(void)state;
	own_open(&t, SOCK_DGRAM);
	cmsgbuf_recv_init(&other, space, sizeof(space));
	send_fds(t.sv[0], t.sent, 2);
	send_fds(t.sv[0], t.sent, 1);
	receive(t.sv[1], &t.b);
	receive(t.sv[1], &other);
	assert_true(cmsgbuf_recv_next(&t.b, &mine));
	assert_true(cmsgbuf_recv_next(&other, &theirs));
	assert_take_refused(&t.b, &theirs, "another buffer's message");
	assert_take_refused(&other, &mine, "another buffer's message");
	assert_fd_count(t.before + 3, "after two refused takes");
	assert_int_equal(cmsgbuf_recv_take_fds(&t.b, &mine, got, 2), 2);
	assert_received(got, t.sent, 2);
	close_all(got, 2);
	cmsgbuf_recv_clear(&other);
	own_close(&t);
}

/*
 * A yielded message marked held: its payload is then the bytes of its own
 * @data pointer, not the buffer's, even where the length still matches the
 * header (two fds, eight bytes). Nothing is taken.
 */
static void taking_a_yielded_message_marked_held_is_einval(void **state)
{
	struct cmsgbuf_msg m;
	struct own t;

	(void)state;
	own_open(&t, SOCK_SEQPACKET);
	send_fds(t.sv[0], t.sent, 2);
	receive(t.sv[1], &t.b);
	memset(&m, 0, sizeof(m));
	assert_true(cmsgbuf_recv_next(&t.b, &m));
	assert_int_equal(m.len, 2 * sizeof(int));
	m.held = true;
	/* a user-space address's upper half is no negative int: it counts */
	assert_true(cmsgbuf_msg_nfds(&m) > 0);
	assert_take_refused(&t.b, &m, "a yielded message marked held");
	m.held = false;
	assert_int_equal(cmsgbuf_msg_nfds(&m), 2);
	assert_fd_count(t.before + 2, "after the refused take");
	own_close(&t);
}

/* Credentials relabelled SCM_RIGHTS count pid, uid and gid as fds: none is taken, the credentials stay. */
static void taking_credentials_relabelled_as_rights_is_einval(void **state)
{
	struct cmsgbuf_ucred cred;
	struct cmsgbuf_msg m;
	struct own t;

	(void)state;
	own_open(&t, SOCK_DGRAM);
	set_int_opt(t.sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	send_fds(t.sv[0], t.sent, 1);
	receive(t.sv[1], &t.b);
	assert_true(cmsgbuf_recv_find(&t.b, SOL_SOCKET, CMSGBUF_SCM_CREDENTIALS, &m));
	m.type = SCM_RIGHTS;
	assert_int_equal(cmsgbuf_msg_nfds(&m), 3);
	assert_take_refused(&t.b, &m, "credentials relabelled SCM_RIGHTS");
	assert_true(cmsgbuf_recv_credentials(&t.b, &cred));
	assert_int_equal(cred.pid, getpid());
	assert_int_equal(cred.uid, getuid());
	assert_fd_count(t.before + 1, "after the refused take");
	own_close(&t);
}

/* A message cut to its first fd: the header still says two, so none is taken (all or nothing). */
static void taking_part_of_a_message_is_einval(void **state)
{
	struct cmsgbuf_msg m, part;
	int got[2];
	struct own t;

	(void)state;
	own_open(&t, SOCK_STREAM);
	send_fds(t.sv[0], t.sent, 2);
	receive(t.sv[1], &t.b);
	assert_true(cmsgbuf_recv_next(&t.b, &m));
	part = m;
	part.len = sizeof(int);
	assert_int_equal(cmsgbuf_msg_nfds(&part), 1);
	assert_take_refused(&t.b, &part, "the first fd of two");
	assert_int_equal(cmsgbuf_msg_nfds(&m), 2);
	assert_int_equal(cmsgbuf_recv_take_fds(&t.b, &m, got, 2), 2);
	assert_received(got, t.sent, 2);
	close_all(got, 2);
	own_close(&t);
}

/* recvmsg(2) by the caller, into an aligned control array of its own. */
static void own_receive(int sock, struct msghdr *mh, void *control, size_t len)
{
	static char byte;
	static struct iovec iov = { &byte, 1 };

	memset(mh, 0, sizeof(*mh));
	mh->msg_iov = &iov;
	mh->msg_iovlen = 1;
	mh->msg_control = control;
	mh->msg_controllen = len;
	if (recvmsg(sock, mh, MSG_CMSG_CLOEXEC) != 1)
		fail_msg("recvmsg: %s", strerror(errno));
}

/*
 * The (a): the same msghdr adopted twice after a partial walk. The
 * second adopt is refused and keeps what the buffer held; the fd the caller took stays
 * open through clear, and adopting the cleared bytes again owns nothing.
 */
static void adopting_again_is_ebusy_until_clear(void **state)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSGBUF_CREDENTIALS_SPACE + 2 * CMSGBUF_RIGHTS_SPACE(1)];
	} control;
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	struct msghdr mh;
	int sv[2], sent[1], got[1], before;

	(void)state;
	pair(SOCK_DGRAM, sv);
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	open_files(sent, 1);
	before = open_fd_count();
	send_fds(sv[0], sent, 1);
	own_receive(sv[1], &mh, control.bytes, sizeof(control.bytes));
	assert_true(cmsgbuf_recv_adopt(&b, &mh));
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_int_equal(m.type, CMSGBUF_SCM_CREDENTIALS);
	assert_int_equal(next_rights(&b, got, 1), 1);
	errno = 0;
	assert_false(cmsgbuf_recv_adopt(&b, &mh));
	assert_int_equal(errno, EBUSY);
	assert_false(cmsgbuf_recv_next(&b, &m));	/* the walk went on as it was */
	cmsgbuf_recv_clear(&b);
	assert_fd_count(before + 1, "after clear: the fd taken");
	assert_true(cmsgbuf_recv_adopt(&b, &mh));
	assert_true(cmsgbuf_recv_find(&b, SOL_SOCKET, SCM_RIGHTS, &m));
	assert_int_equal(cmsgbuf_msg_nfds(&m), 0);
	cmsgbuf_recv_clear(&b);
	assert_true(is_open(got[0]));
	assert_received(got, sent, 1);
	close_all(got, 1);
	assert_fd_count(before, "after closing it");
	close_all(sent, 1);
	close_pair(sv);
}

/* A refused adopt before the walk: the message yielded after it still has its fd closed by clear. */
static void refused_adopt_then_a_walk_leaves_clear_its_work(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	struct msghdr mh;
	int fd = installed_fd();

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_rights(0, CMSG_LEN(sizeof(fd)), &fd, 1);
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(fd)), 0);
	memset(&mh, 0, sizeof(mh));
	mh.msg_control = craft.bytes;
	mh.msg_controllen = CMSG_SPACE(sizeof(fd));
	assert_false(cmsgbuf_recv_adopt(&b, &mh));
	assert_int_equal(errno, EBUSY);
	assert_true(cmsgbuf_recv_next(&b, &m));
	assert_false(cmsgbuf_recv_next(&b, &m));
	assert_true(is_open(fd));
	cmsgbuf_recv_clear(&b);
	assert_false(is_open(fd));
}

/* The same bytes after clear, without a receive between: nothing is owned, nothing closed. */
static void adopting_cleared_bytes_closes_nothing(void **state)
{
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	int fd = installed_fd(), reused;

	(void)state;
	memset(&craft, 0, sizeof(craft));
	craft_rights(0, CMSG_LEN(sizeof(fd)), &fd, 1);
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(fd)), 0);
	cmsgbuf_recv_clear(&b);
	assert_false(is_open(fd));
	reused = installed_fd();
	assert_int_equal(reused, fd);	/* the lowest number: the one just closed */
	adopt(&b, craft.bytes, CMSG_SPACE(sizeof(fd)), 0);
	cmsgbuf_recv_clear(&b);
	assert_true(is_open(reused));
	close(reused);
}

#define BATCH 3

/*
 * The (b), done by the rule: recvmmsg(2) into the same arrays batch
 * after batch, one receive buffer per message; in each batch the messages
 * are taken, left alone after a yield, or not walked at all, in turns, and
 * every buffer is cleared before the next batch. Only the fds taken stay open.
 */
static void recvmmsg_batches_into_the_same_arrays(void **state)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[BATCH][CMSGBUF_RIGHTS_SPACE(2)];	/* each aligned: CMSG_SPACE() is */
	} control;
	char data[BATCH];
	struct iovec iov[BATCH];
	struct mmsghdr mm[BATCH];
	struct cmsgbuf_recv b[BATCH];
	struct cmsgbuf_msg m;
	int sv[2], sent[2], got[2 * 2 * BATCH], before;
	size_t taken = 0;

	(void)state;
	pair(SOCK_DGRAM, sv);
	open_files(sent, 2);
	before = open_fd_count();
	for (int i = 0; i < BATCH; i++)
		b[i] = (struct cmsgbuf_recv)CMSGBUF_RECV_EMPTY;
	for (int batch = 0; batch < 2; batch++) {
		for (int i = 0; i < BATCH; i++)
			send_fds(sv[0], sent, 2);
		memset(mm, 0, sizeof(mm));
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ &data[i], 1 };
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_control = control.bytes[i];
			mm[i].msg_hdr.msg_controllen = sizeof(control.bytes[i]);
		}
		assert_int_equal(recvmmsg(sv[1], mm, BATCH, MSG_CMSG_CLOEXEC, NULL), BATCH);
		assert_fd_count(before + (int)taken + 2 * BATCH, "after recvmmsg");
		for (int i = 0; i < BATCH; i++) {
			assert_true(cmsgbuf_recv_adopt(&b[i], &mm[i].msg_hdr));
			switch ((i + batch) % 3) {
			case 0:	/* taken */
				assert_int_equal(next_rights(&b[i], got + taken, 2), 2);
				assert_received(got + taken, sent, 2);
				taken += 2;
				break;
			case 1:	/* yielded and left alone */
				assert_true(cmsgbuf_recv_next(&b[i], &m));
				break;
			default:	/* stopped before the first message */
				break;
			}
		}
		for (int i = 0; i < BATCH; i++)
			cmsgbuf_recv_clear(&b[i]);
		assert_fd_count(before + (int)taken, "after clearing every buffer: the fds taken");
	}
	close_all(got, taken);
	assert_fd_count(before, "at the end");
	close_all(sent, 2);
	close_pair(sv);
}

/*
 * The rule broken: a batch received into the arrays of a buffer not cleared.
 * adopt is refused, and, as its documentation says, the buffer now reads the
 * new bytes as its own and no longer trusts its count of fds taken: its clear
 * reads every byte again and closes the new fds.
 * (The fds of the first batch were all taken here, so none is lost.)
 */
static void recvmmsg_into_bytes_not_cleared_is_ebusy(void **state)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSGBUF_RIGHTS_SPACE(1)];
	} control;
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct msghdr mh;
	int sv[2], sent[1], got[1], before;

	(void)state;
	pair(SOCK_DGRAM, sv);
	open_files(sent, 1);
	before = open_fd_count();
	send_fds(sv[0], sent, 1);
	send_fds(sv[0], sent, 1);
	own_receive(sv[1], &mh, control.bytes, sizeof(control.bytes));
	assert_true(cmsgbuf_recv_adopt(&b, &mh));
	assert_int_equal(next_rights(&b, got, 1), 1);
	own_receive(sv[1], &mh, control.bytes, sizeof(control.bytes));
	assert_fd_count(before + 2, "after the second receive");
	errno = 0;
	assert_false(cmsgbuf_recv_adopt(&b, &mh));
	assert_int_equal(errno, EBUSY);
	cmsgbuf_recv_clear(&b);
	assert_fd_count(before + 1, "after clear: the new fd closed, the one taken open");
	assert_received(got, sent, 1);
	close_all(got, 1);
	close_all(sent, 1);
	close_pair(sv);
}

/* find and credentials */

static void find_returns_the_first_of_a_kind_and_leaves_the_walk(void **state)
{
	struct cmsgbuf_msg m;
	struct own t;
	int got[1] = { -1 };

	(void)state;
	own_open(&t, SOCK_DGRAM);
	set_int_opt(t.sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	send_fds(t.sv[0], t.sent, 1);
	receive(t.sv[1], &t.b);
	assert_true(cmsgbuf_recv_find(&t.b, SOL_SOCKET, SCM_RIGHTS, &m));
	assert_int_equal(cmsgbuf_recv_take_fds(&t.b, &m, got, 1), 1);
	assert_received(got, t.sent, 1);
	errno = 0;
	assert_false(cmsgbuf_recv_find(&t.b, IPPROTO_IP, IP_TOS, &m));
	assert_int_equal(errno, ENOENT);
	assert_null(m.data);
	/* the walk still starts at the first message, and yields the rights with no fd left */
	assert_true(cmsgbuf_recv_next(&t.b, &m));
	assert_int_equal(m.type, CMSGBUF_SCM_CREDENTIALS);
	assert_true(cmsgbuf_recv_next(&t.b, &m));
	assert_int_equal(m.type, SCM_RIGHTS);
	assert_int_equal(cmsgbuf_msg_nfds(&m), 0);
	cmsgbuf_recv_clear(&t.b);
	assert_fd_count(t.before + 1, "after clear: the fd taken through find");
	close_all(got, 1);
	own_close(&t);
}

static void credentials_of_a_receive_in_one_call(void **state)
{
	unsigned char space[OWN_SPACE];
	struct cmsgbuf_recv b;
	struct cmsgbuf_ucred cred = { 7, 7, 7 };
	int sv[2];

	(void)state;
	pair(SOCK_DGRAM, sv);
	cmsgbuf_recv_init(&b, space, sizeof(space));
	send_fds(sv[0], NULL, 0);
	receive(sv[1], &b);
	errno = 0;
	assert_false(cmsgbuf_recv_credentials(&b, &cred));
	assert_int_equal(errno, ENOENT);
	assert_int_equal(cred.pid, 7);
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	send_fds(sv[0], NULL, 0);
	receive(sv[1], &b);
	assert_true(cmsgbuf_recv_credentials(&b, &cred));
	assert_int_equal(cred.pid, getpid());
	assert_int_equal(cred.uid, getuid());
	assert_int_equal(cred.gid, getgid());
	cmsgbuf_recv_clear(&b);
	close_pair(sv);
}

/* Descriptors in one call */

static void send_fds_and_recv_fds_pass_fds_and_credentials(int type)
{
	struct cmsgbuf_ucred me = { getpid(), getuid(), getgid() }, cred;
	unsigned char space[OWN_SPACE];
	struct cmsgbuf_recv b;
	int sv[2], sent[3], got[3] = { -5, -5, -5 }, before;
	size_t n = 3;
	char c = 0;

	pair(type, sv);
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	open_files(sent, 3);
	before = open_fd_count();
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, sent, 2, &me, 0), 1);
	assert_int_equal(cmsgbuf_recv_fds(sv[1], &c, 1, got, &n, 0), 1);
	assert_int_equal(c, 'x');
	assert_int_equal(n, 2);
	assert_int_equal(got[2], -5);
	assert_received(got, sent, 2);
	assert_fd_count(before + 2, "after the one-call receive");
	close_all(got, 2);
	/* no fds, credentials only: a receive of none */
	assert_int_equal(cmsgbuf_send_fds(sv[0], "y", 1, NULL, 0, &me, 0), 1);
	cmsgbuf_recv_init(&b, space, sizeof(space));
	receive_byte(sv[1], &b, 'y');
	assert_true(cmsgbuf_recv_credentials(&b, &cred));
	assert_int_equal(cred.pid, getpid());
	cmsgbuf_recv_clear(&b);
	assert_int_equal(cmsgbuf_send_fds(sv[0], "z", 1, sent, 3, NULL, 0), 1);
	n = 3;
	assert_int_equal(cmsgbuf_recv_fds(sv[1], &c, 1, got, &n, 0), 1);
	assert_int_equal(n, 3);
	assert_received(got, sent, 3);
	close_all(got, 3);
	assert_fd_count(before, "at the end");
	close_all(sent, 3);
	close_pair(sv);
}
FOR_EACH_TYPE(send_fds_and_recv_fds_pass_fds_and_credentials)

static void send_fds_refuses_what_push_refuses_and_sends_nothing(void **state)
{
	int sv[2], fds[2] = { 0, -1 };
	size_t n = 2;
	char c;

	(void)state;
	pair(SOCK_DGRAM, sv);
	errno = 0;
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, fds, 2, NULL, 0), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, NULL, 1, NULL, 0), -1);
	assert_int_equal(errno, EINVAL);
	/* more than CMSGBUF_MAX_FDS, even a count too large to be bytes: EINVAL, as documented */
	errno = 0;
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, fds, CMSGBUF_MAX_FDS + 1, NULL, 0), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, fds, (size_t)-1 / 4, NULL, 0), -1);
	assert_int_equal(errno, EINVAL);
	/* and a socket that is none: what sendmsg says, and what recvmsg says */
	errno = 0;
	assert_int_equal(cmsgbuf_send_fds(-1, "x", 1, NULL, 0, NULL, 0), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(cmsgbuf_recv_fds(-1, &c, 1, fds, &n, 0), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(n, 2);
	assert_int_equal(recv(sv[1], &c, 1, MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close_pair(sv);
}

/* A message without fds, credentials beside it: its bytes, and a count of 0, the array untouched. */
static void recv_fds_of_a_message_without_fds_gives_none(void **state)
{
	struct cmsgbuf_ucred me = { getpid(), getuid(), getgid() };
	int sv[2], got[2] = { -5, -5 }, before;
	size_t n = 2;
	char c = 0;

	(void)state;
	pair(SOCK_DGRAM, sv);
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	before = open_fd_count();
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, NULL, 0, &me, 0), 1);
	assert_int_equal(cmsgbuf_recv_fds(sv[1], &c, 1, got, &n, 0), 1);
	assert_int_equal(c, 'x');
	assert_int_equal(n, 0);
	assert_int_equal(got[0], -5);
	assert_int_equal(got[1], -5);
	assert_fd_count(before, "after the receive");
	close_pair(sv);
}

/* More fds than room: EMSGSIZE, every fd closed, the caller's array untouched. */
static void recv_fds_of_more_than_room_is_emsgsize_and_leaves_none_open(void **state)
{
	int sv[2], sent[3], got[2] = { -5, -5 }, before;
	size_t n = 2;
	char c;

	(void)state;
	pair(SOCK_SEQPACKET, sv);
	open_files(sent, 3);
	before = open_fd_count();
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, sent, 3, NULL, 0), 1);
	errno = 0;
	assert_int_equal(cmsgbuf_recv_fds(sv[1], &c, 1, got, &n, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(n, 2);
	assert_int_equal(got[0], -5);
	assert_int_equal(got[1], -5);
	assert_fd_count(before, "after a refused receive");
	close_all(sent, 3);
	close_pair(sv);
}

/* Truncated (here: the fd limit reached): ENOBUFS, the fds installed closed. */
static void recv_fds_truncated_is_enobufs_and_leaves_none_open(void **state)
{
	int sv[2], sent[8], got[8] = { -5 }, before;
	struct limiter lim;
	size_t n = 8;
	ssize_t r;
	char c;

	(void)state;
	pair(SOCK_STREAM, sv);
	open_files(sent, 8);
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, sent, 8, NULL, 0), 1);
	before = open_fd_count();
	lim = limit_lower(2);
	errno = 0;
	r = cmsgbuf_recv_fds(sv[1], &c, 1, got, &n, 0);
	limit_restore(lim);
	assert_int_equal(r, -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(got[0], -5);
	assert_fd_count(before, "after a truncated receive");
	close_all(sent, 8);
	close_pair(sv);
}

/* The pidfd of SO_PASSPIDFD and the credentials are dropped: the pidfd closed. */
static void recv_fds_closes_a_pidfd(void **state)
{
	int sv[2], sent[1], got[1], before;
	size_t n = 1;
	char c;

	(void)state;
	if (!pidfd_pair(sv))
		return;
	set_int_opt(sv[1], SOL_SOCKET, SO_PASSCRED, 1);
	open_files(sent, 1);
	before = open_fd_count();
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, sent, 1, NULL, 0), 1);
	assert_int_equal(cmsgbuf_recv_fds(sv[1], &c, 1, got, &n, 0), 1);
	assert_int_equal(n, 1);
	assert_received(got, sent, 1);
	assert_fd_count(before + 1, "after the receive: the fd, not the pidfd");
	close_all(got, 1);
	close_all(sent, 1);
	close_pair(sv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		TYPE_TESTS(rights_arrive_close_on_exec),
		TYPE_TESTS(eight_fds_into_space_for_one_hands_out_those_that_arrived),
		TYPE_TESTS(eight_fds_into_space_for_one_closed_by_clear),
		TYPE_TESTS(credentials_come_before_rights),
		cmocka_unit_test(fd_limit_truncates_a_large_buffer),
		cmocka_unit_test(empty_buffer_reports_truncation_and_gets_no_fd),
		cmocka_unit_test(next_receive_closes_undelivered_fds),
		cmocka_unit_test(failed_receive_leaves_the_buffer_empty),
		cmocka_unit_test(failed_receive_after_a_full_walk_forgets_the_last_receive),
		cmocka_unit_test(stopping_early_then_clear_closes_the_rest),
		cmocka_unit_test(resume_after_partial_iteration),
		cmocka_unit_test(pidfd_is_handed_out_or_closed),
		cmocka_unit_test(pidfd_that_could_not_be_installed_counts_as_no_fd),
		cmocka_unit_test(missing_credentials_read_as_none),
		cmocka_unit_test(uid_or_gid_of_minus_1_reads_as_none),
		cmocka_unit_test(recvmsg_from_returns_the_sender_address),
		cmocka_unit_test(recvmsg_from_without_addrlen_leaves_addr_alone),
		cmocka_unit_test(space_at_any_alignment_holds_what_the_macros_say),
		cmocka_unit_test(cmsg_len_sized_space_holds_the_fd_on_linux),
		cmocka_unit_test(unknown_message_is_yielded_as_it_is),
		cmocka_unit_test(end_of_walk_zeroes_the_message),
		cmocka_unit_test(cmsg_len_past_the_end_is_clamped),
		cmocka_unit_test(cmsg_len_cut_above_4_gib_is_stored_whole),
		cmocka_unit_test(pidfd_message_holding_an_errno_counts_as_no_fd),
		cmocka_unit_test(six_byte_rights_payload_hands_out_its_whole_fd),
		cmocka_unit_test(six_byte_rights_payload_closes_its_whole_fd),
		cmocka_unit_test(credentials_reader_checks_the_length_exactly),
		cmocka_unit_test(taking_into_too_small_an_array_takes_none),
		cmocka_unit_test(taking_a_header_forged_at_a_misaligned_offset_is_einval),
		cmocka_unit_test(taking_a_header_that_runs_past_the_bytes_is_einval),
		cmocka_unit_test(taking_a_message_longer_than_the_bytes_is_einval),
		cmocka_unit_test(taking_a_message_relabelled_to_socket_level_is_einval),
		cmocka_unit_test(taking_skips_slots_that_hold_minus_1),
		cmocka_unit_test(recvmsg_with_iovcnt_above_int_max_is_emsgsize),
		cmocka_unit_test(trailing_partial_header_ends_the_walk),
		cmocka_unit_test(cmsg_len_below_a_header_ends_the_walk),
		cmocka_unit_test(other_levels_carry_no_fds_and_no_credentials),
		cmocka_unit_test(negative_fd_in_rights_is_not_closed),
		cmocka_unit_test(adopt_refuses_misaligned_control_and_changes_nothing),
		cmocka_unit_test(adopt_of_null_control_gives_no_message),
		cmocka_unit_test(ignoring_a_message_leaks_nothing),
		cmocka_unit_test(stopping_at_a_yielded_message_then_clear_closes_its_fds),
		cmocka_unit_test(clearing_twice_closes_nothing_twice),
		cmocka_unit_test(receiving_again_closes_what_was_not_taken),
		cmocka_unit_test(taking_twice_takes_none_the_second_time),
		cmocka_unit_test(taking_after_clear_is_einval),
		cmocka_unit_test(taking_another_buffers_message_is_einval),
		cmocka_unit_test(taking_a_yielded_message_marked_held_is_einval),
		cmocka_unit_test(taking_credentials_relabelled_as_rights_is_einval),
		cmocka_unit_test(taking_part_of_a_message_is_einval),
		cmocka_unit_test(adopting_again_is_ebusy_until_clear),
		cmocka_unit_test(refused_adopt_then_a_walk_leaves_clear_its_work),
		cmocka_unit_test(adopting_cleared_bytes_closes_nothing),
		cmocka_unit_test(recvmmsg_batches_into_the_same_arrays),
		cmocka_unit_test(recvmmsg_into_bytes_not_cleared_is_ebusy),
		cmocka_unit_test(find_returns_the_first_of_a_kind_and_leaves_the_walk),
		cmocka_unit_test(credentials_of_a_receive_in_one_call),
		TYPE_TESTS(send_fds_and_recv_fds_pass_fds_and_credentials),
		cmocka_unit_test(send_fds_refuses_what_push_refuses_and_sends_nothing),
		cmocka_unit_test(recv_fds_of_a_message_without_fds_gives_none),
		cmocka_unit_test(recv_fds_of_more_than_room_is_emsgsize_and_leaves_none_open),
		cmocka_unit_test(recv_fds_truncated_is_enobufs_and_leaves_none_open),
		cmocka_unit_test(recv_fds_closes_a_pidfd),
	};

	return cmocka_run_group_tests(tests, fd_ledger_open, fd_ledger_close);
}
