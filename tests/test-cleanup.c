/*
 * CMSGBUF_RECV_CLEANUP clears a receive buffer on every way out of its
 * scope: a function that returns early, at any point after the receive,
 * leaves no descriptor open. Over a real socketpair, counting open fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmsgbuf.h"
#include "helpers.h"

#ifndef CMSGBUF_RECV_CLEANUP
#error "CMSGBUF_RECV_CLEANUP is for GNU C: build this test with gcc or clang"
#endif

#define SENT 3

/* The ways out of receive_then_leave(). */
enum way_out {
	RETURN_AFTER_RECEIVE,
	RETURN_FROM_A_LOOP,
	GOTO_OUT_OF_THE_BLOCK,
	FALL_OFF_THE_BLOCK,
};

static void send_three_fds(int sock)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(SENT))];
	int fds[SENT] = { 0, 1, 2 };
	struct iovec iov = { "x", 1 };
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, SENT)));
	assert_int_equal(cmsgbuf_sendmsg(sock, &iov, 1, &b, 0), 1);
}

/*
 * Receives three fds into a CMSGBUF_RECV_CLEANUP buffer and leaves the way
 * @way says, with no call to cmsgbuf_recv_clear(). Returns the number of fds
 * open while the buffer held them, counted before leaving.
 */
static int receive_then_leave(int sock, enum way_out way)
{
	int open_inside = -1;

	{
		unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(SENT))];
		CMSGBUF_RECV_CLEANUP struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
		char byte;
		struct iovec iov = { &byte, 1 };

		cmsgbuf_recv_init(&b, space, sizeof(space));
		if (cmsgbuf_recvmsg(sock, &iov, 1, &b, 0) != 1)
			fail_msg("cmsgbuf_recvmsg: %s", strerror(errno));
		open_inside = open_fd_count();
		if (way == RETURN_AFTER_RECEIVE)
			return open_inside;
		for (int i = 0; i < 2; i++)
			if (way == RETURN_FROM_A_LOOP && i == 1)
				return open_inside;
		if (way == GOTO_OUT_OF_THE_BLOCK)
			goto out;
	}
out:
	return open_inside;
}

static void leave(enum way_out way)
{
	int sv[2], before, inside;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	send_three_fds(sv[0]);
	before = open_fd_count();
	inside = receive_then_leave(sv[1], way);
	assert_int_equal(inside, before + SENT);
	assert_int_equal(open_fd_count(), before);
	assert_int_equal(close(sv[0]), 0);
	assert_int_equal(close(sv[1]), 0);
}

static void return_right_after_the_receive_closes_every_fd(void **state)
{
	(void)state;
	leave(RETURN_AFTER_RECEIVE);
}

static void return_from_a_loop_closes_every_fd(void **state)
{
	(void)state;
	leave(RETURN_FROM_A_LOOP);
}

static void goto_out_of_the_block_closes_every_fd(void **state)
{
	(void)state;
	leave(GOTO_OUT_OF_THE_BLOCK);
}

static void falling_off_the_block_closes_every_fd(void **state)
{
	(void)state;
	leave(FALL_OFF_THE_BLOCK);
}

/* A buffer that never received: the clear at scope exit closes nothing and reads nothing. */
static void a_buffer_left_empty_is_cleared_harmlessly(void **state)
{
	int before = open_fd_count();

	(void)state;
	{
		CMSGBUF_RECV_CLEANUP struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;

		(void)b;
	}
	assert_int_equal(open_fd_count(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(return_right_after_the_receive_closes_every_fd),
		cmocka_unit_test(return_from_a_loop_closes_every_fd),
		cmocka_unit_test(goto_out_of_the_block_closes_every_fd),
		cmocka_unit_test(falling_off_the_block_closes_every_fd),
		cmocka_unit_test(a_buffer_left_empty_is_cleared_harmlessly),
	};

	return cmocka_run_group_tests(tests, fd_ledger_open, fd_ledger_close);
}
