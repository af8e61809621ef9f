/*
 * test-argument-edges: the edges of the send side's arguments that the other
 * programs do not reach: NULL addresses for the v4 and v6 wrappers, a NULL
 * buffer for cmsgbuf_sendmsg(), an iovcnt above INT_MAX, a NULL control for
 * cmsgbuf_next(), a payload longer than an at-least kind's minimum, and
 * nonzero padding inside the header on the libcs whose struct cmsghdr has
 * some (musl on 64-bit).
 */

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmsgbuf.h"
#include "helpers.h"

static void v4_and_v6_wrappers_without_address_send_to_the_peer(void **state)
{
	char byte = 'x', got[2];
	struct iovec iov = { &byte, 1 };
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(cmsgbuf_sendmsg_v4(sv[0], NULL, &iov, 1, NULL, 0), 1);
	assert_int_equal(cmsgbuf_sendmsg_v6(sv[0], NULL, &iov, 1, NULL, 0), 1);
	assert_int_equal(recv(sv[1], got, sizeof(got), 0), 1);
	assert_int_equal(recv(sv[1], got, sizeof(got), 0), 1);
	close(sv[0]);
	close(sv[1]);
}

/* cmsgbuf_sendmsg() without a buffer (NULL): the data goes alone, as with an empty buffer. */
static void sendmsg_without_a_buffer_sends_data_alone(void **state)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(sizeof(int))];
	} control;
	char byte = 'x', got = 0;
	struct iovec out = { &byte, 1 }, in = { &got, 1 };
	struct msghdr mh;
	int sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(cmsgbuf_sendmsg(sv[0], &out, 1, NULL, 0), 1);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &in;
	mh.msg_iovlen = 1;
	mh.msg_control = control.bytes;
	mh.msg_controllen = sizeof(control.bytes);
	assert_int_equal(recvmsg(sv[1], &mh, MSG_DONTWAIT), 1);
	assert_int_equal(got, 'x');
	assert_int_equal(mh.msg_controllen, 0);
	assert_int_equal(mh.msg_flags & MSG_CTRUNC, 0);
	close(sv[0]);
	close(sv[1]);
}

static void iovcnt_above_int_max_is_emsgsize(void **state)
{
	char byte = 'x';
	struct iovec iov = { &byte, 1 };

	(void)state;
	errno = 0;
	/* Refused before any iovec is read: the count alone is too large. */
	assert_int_equal(cmsgbuf_sendmsg(-1, &iov, (size_t)INT_MAX + 1, NULL, 0), -1);
	assert_int_equal(errno, EMSGSIZE);
}

static void next_with_null_control_is_the_end(void **state)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(0)];
	} buf;
	struct cmsghdr h;

	(void)state;
	memset(&buf, 0, sizeof(buf));
	memset(&h, 0, sizeof(h));
	h.cmsg_len = CMSG_LEN(0);
	memcpy(buf.bytes, &h, sizeof(h));
	assert_non_null(cmsgbuf_first(buf.bytes, sizeof(buf.bytes)));
	assert_null(cmsgbuf_next(NULL, sizeof(buf.bytes), cmsgbuf_first(buf.bytes, sizeof(buf.bytes))));
}

static void ipv6_pktinfo_longer_than_the_struct_is_taken(void **state)
{
	unsigned char payload[sizeof(struct in6_pktinfo) + 4];
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RAW_SPACE(sizeof(payload)))];
	struct cmsgbuf_send b;

	(void)state;
	memset(payload, 0, sizeof(payload));
	cmsgbuf_send_init(&b, space, sizeof(space));
	/* ip6_datagram_send_ctl() checks cmsg_len < CMSG_LEN(sizeof(struct in6_pktinfo)) only. */
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_PKTINFO, payload, sizeof(payload))));
	assert_int_equal(cmsgbuf_send_controllen(&b), CMSG_SPACE(sizeof(payload)));
}

static void nonzero_padding_inside_the_header_is_a_defect(void **state)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSG_SPACE(0)];
	} buf;
	struct cmsghdr h;
	unsigned char fields[sizeof(h)];
	size_t padding = 0;

	(void)state;
	/* Bytes that setting every field to all ones leaves zero are padding. */
	memset(&h, 0, sizeof(h));
	h.cmsg_len--; /* all ones, whatever its type */
	h.cmsg_level = -1;
	h.cmsg_type = -1;
	memcpy(fields, &h, sizeof(h));
	for (size_t i = 0; i < sizeof(h); i++) {
		if (fields[i] != 0)
			continue;
		memset(&h, 0, sizeof(h));
		h.cmsg_len = CMSG_LEN(0);
		memcpy(buf.bytes, &h, sizeof(h));
		assert_int_equal(cmsgbuf_check(buf.bytes, sizeof(buf.bytes)), CMSGBUF_WELL_FORMED);
		buf.bytes[i] = 1;
		assert_int_equal(cmsgbuf_check(buf.bytes, sizeof(buf.bytes)), CMSGBUF_DEFECT_NONZERO_PADDING);
		padding++;
	}
	/* glibc's header has no padding; musl's 64-bit one has four bytes. */
	assert_int_equal(padding, sizeof(h) - sizeof(h.cmsg_len) - 2 * sizeof(int));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v4_and_v6_wrappers_without_address_send_to_the_peer),
		cmocka_unit_test(sendmsg_without_a_buffer_sends_data_alone),
		cmocka_unit_test(iovcnt_above_int_max_is_emsgsize),
		cmocka_unit_test(next_with_null_control_is_the_end),
		cmocka_unit_test(ipv6_pktinfo_longer_than_the_struct_is_taken),
		cmocka_unit_test(nonzero_padding_inside_the_header_is_a_defect),
	};

	return cmocka_run_group_tests(tests, fd_ledger_open, fd_ledger_close);
}
