/*
 * test-send: the send buffer without a kernel: every refusal rule and its
 * errno, all-or-nothing pushes and extends, every alignment of the caller's
 * space, the space macros, clear and the empty buffer.
 */

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdalign.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmsgbuf.h"
#include "helpers.h"

/* The space macros are the sums of CMSG_SPACE(), as constant expressions. */
static_assert(CMSGBUF_RIGHTS_SPACE(1) == CMSG_SPACE(sizeof(int)), "rights(1)");
static_assert(CMSGBUF_RIGHTS_SPACE(253) == CMSG_SPACE(253 * sizeof(int)), "rights(253)");
static_assert(CMSGBUF_CREDENTIALS_SPACE == CMSG_SPACE(sizeof(struct ucred)), "credentials");
static_assert(CMSGBUF_RAW_SPACE(3) == CMSG_SPACE(3), "raw(3)");
static_assert(CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE) ==
		      CMSG_SPACE(2 * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred)) +
			      alignof(struct cmsghdr) - 1,
	      "space with slack");

/* A space twice as large as any test needs, placed at a chosen misalignment. */
#define ARENA 4096
static union {
	struct cmsghdr align;
	unsigned char bytes[ARENA];
} arena;

static const int some_fds[CMSGBUF_MAX_FDS + 1] = { 0 };

/* A level no protocol of Linux uses: its messages are copied as they are. */
#define OTHER_LEVEL 0x7e57
static const struct cmsgbuf_ucred me = { 1, 2, 3 };

static struct cmsgbuf_send fresh(size_t size)
{
	struct cmsgbuf_send b;

	memset(arena.bytes, 0xa5, sizeof(arena.bytes));
	cmsgbuf_send_init(&b, arena.bytes, size);
	return b;
}

/* Pushing @m must fail with @err and leave length and every arena byte alone. */
static void assert_refused(struct cmsgbuf_send *b, struct cmsgbuf_msg m, int err)
{
	static unsigned char before[ARENA];
	size_t len = cmsgbuf_send_controllen(b);

	memcpy(before, arena.bytes, ARENA);
	errno = 0;
	assert_false(cmsgbuf_send_push(b, m));
	assert_int_equal(errno, err);
	assert_int_equal(cmsgbuf_send_controllen(b), len);
	assert_memory_equal(before, arena.bytes, ARENA);
}

static void rights_without_fds_is_einval(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_refused(&b, cmsgbuf_rights(some_fds, 0), EINVAL);
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SCM_RIGHTS, some_fds, 0), EINVAL);
}

static void rights_with_negative_fd_is_einval(void **state)
{
	int fds[3] = { 0, -1, 2 };
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_refused(&b, cmsgbuf_rights(fds, 3), EINVAL);
}

static void rights_length_not_multiple_of_int_is_einval(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SCM_RIGHTS, some_fds, 6), EINVAL);
}

static void rights_over_253_in_one_message_is_einval(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_refused(&b, cmsgbuf_rights(some_fds, CMSGBUF_MAX_FDS + 1), EINVAL);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(some_fds, CMSGBUF_MAX_FDS)));
}

static void rights_over_253_across_messages_is_einval(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(some_fds, 200)));
	assert_refused(&b, cmsgbuf_rights(some_fds, 54), EINVAL);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(some_fds, 53)));
	assert_refused(&b, cmsgbuf_rights(some_fds, 1), EINVAL);
	/* clear forgets the count */
	cmsgbuf_send_clear(&b);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(some_fds, 1)));
}

static void rights_count_too_large_for_bytes_is_eoverflow(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_refused(&b, cmsgbuf_rights(some_fds, SIZE_MAX / 2), EOVERFLOW);
}

static void credentials_of_wrong_length_are_einval(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SCM_CREDENTIALS, &me, sizeof(me) - 1), EINVAL);
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SCM_CREDENTIALS, &arena, sizeof(me) + 4), EINVAL);
}

static void second_credentials_are_einval(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(&me)));
	assert_refused(&b, cmsgbuf_credentials(&me), EINVAL);
	cmsgbuf_send_clear(&b);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(&me)));
}

static void unknown_sol_socket_type_is_einval(void **state)
{
	int v = 1;
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)), EINVAL);
}

static void null_payload_with_length_is_einval(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_refused(&b, cmsgbuf_raw(OTHER_LEVEL, 99, NULL, 1), EINVAL);
	assert_refused(&b, cmsgbuf_rights(NULL, 1), EINVAL);
	/* NULL with length 0 is an empty payload */
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(OTHER_LEVEL, 99, NULL, 0)));
}

static void payload_above_int_max_is_eoverflow(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	/* checked before any payload byte is read: the pointer is never followed */
	assert_refused(&b, cmsgbuf_raw(OTHER_LEVEL, 99, &me, (size_t)INT_MAX + 1), EOVERFLOW);
	assert_refused(&b, cmsgbuf_raw(OTHER_LEVEL, 99, &me, SIZE_MAX), EOVERFLOW);
	/* an INT_MAX payload still needs a header: the total would pass INT_MAX */
	assert_refused(&b, cmsgbuf_raw(OTHER_LEVEL, 99, &me, INT_MAX), EOVERFLOW);
	assert_refused(&b, cmsgbuf_raw(OTHER_LEVEL, 99, &me, INT_MAX - CMSG_SPACE(0) + 1), EOVERFLOW);
}

static void total_above_int_max_is_eoverflow(void **state)
{
	struct cmsgbuf_send b = fresh(ARENA);
	size_t fits = INT_MAX - CMSG_SPACE(0) - CMSG_ALIGN(1) + 1;

	(void)state;
	/* the largest payload whose CMSG_SPACE stays within INT_MAX: not an overflow */
	assert_int_equal(CMSG_SPACE(fits) <= INT_MAX, 1);
	assert_refused(&b, cmsgbuf_raw(OTHER_LEVEL, 99, &me, fits), ENOSPC);
	/* once the buffer holds a message, the same payload would pass INT_MAX */
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(OTHER_LEVEL, 99, NULL, 0)));
	assert_refused(&b, cmsgbuf_raw(OTHER_LEVEL, 99, &me, fits), EOVERFLOW);
}

static void ip_and_udp_rules(void **state)
{
	int ttl0 = 0, ttl64 = 64, tos256 = 256, tos16 = 16, hop = -2, hop1 = -1, df2 = 2;
	unsigned char tos_byte = 8;
	unsigned short seg = 1200;
	unsigned int seg4 = 1200;
	struct in_pktinfo pi;
	struct in6_pktinfo pi6;
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	memset(&pi, 0, sizeof(pi));
	memset(&pi6, 0, sizeof(pi6));
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_TTL, &ttl0, sizeof(int)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_TTL, &ttl64, 1), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_TOS, &tos256, sizeof(int)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_TOS, &tos16, 2), EINVAL);
	assert_refused(&b, cmsgbuf_raw(SOL_UDP, UDP_SEGMENT, &seg4, sizeof(seg4)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi) - 1), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof(pi6) - 1), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_HOPLIMIT, &hop, sizeof(int)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_TCLASS, &tos256, sizeof(int)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_DONTFRAG, &df2, sizeof(int)), EINVAL);

	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IP, IP_TTL, &ttl64, sizeof(int))));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IP, IP_TOS, &tos_byte, 1)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg))));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi))));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_HOPLIMIT, &hop1, sizeof(int))));
	/* the kernel keeps only the last of two: the second is refused */
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_TOS, &tos16, sizeof(int)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_TTL, &ttl64, sizeof(int)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(SOL_UDP, UDP_SEGMENT, &seg, sizeof(seg)), EINVAL);
}

static void other_levels_pass_through(void **state)
{
	const char payload[5] = "abcd";
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(OTHER_LEVEL, 99, payload, 5)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(OTHER_LEVEL, 99, payload, 5)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_TCP, 1, payload, 5)));
	assert_int_equal(cmsgbuf_send_controllen(&b), 3 * CMSG_SPACE(5));
}

/* The kernel refuses types it does not know at these four levels: so does push. */
static void unknown_types_at_socket_ip_ipv6_and_udp_levels_are_einval(void **state)
{
	static const int levels[] = { SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6, SOL_UDP };
	int v = 1;
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		assert_refused(&b, cmsgbuf_raw(levels[i], 99, &v, sizeof(v)), EINVAL);
		assert_refused(&b, cmsgbuf_raw(levels[i], INT_MIN, &v, sizeof(v)), EINVAL);
		assert_refused(&b, cmsgbuf_raw(levels[i], -1, NULL, 0), EINVAL);
	}
}

/* The values the kernel refuses, beyond the ranges of ip_and_udp_rules(). */
static void values_the_kernel_refuses_are_einval(void **state)
{
	unsigned int ts_0x12 = 0x12, ts_bit_2 = 1u << 2, ts_tx = 1u << 0 | 1u << 1 | 1u << 8 | 1u << 9 | 1u << 18;
	int proto0 = 0, proto256 = 256, proto17 = 17;
	unsigned char opts[41], flow[4] = { 0x10, 0, 0, 1 }, flow_ok[4] = { 0x0f, 0xff, 0xff, 0xff };
	unsigned char hop_short[8] = { 0, 1 }, hop[16] = { 0, 1 };
	unsigned char rt0[24] = { 0, 2, 0, 1 }, rt2[24] = { 0, 2, 2, 1 }, rt2_two_left[24] = { 0, 2, 2, 2 };
	unsigned char rt2_hdrlen_4[40] = { 0, 4, 2, 1 };
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	memset(opts, 1, sizeof(opts));
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SO_TIMESTAMPING_OLD, &ts_0x12, 4), EINVAL);
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SO_TIMESTAMPING_NEW, &ts_0x12, 4), EINVAL);
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SO_TIMESTAMPING_OLD, &ts_bit_2, 4), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_PROTOCOL, &proto0, sizeof(int)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_PROTOCOL, &proto256, sizeof(int)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IP, IP_RETOPTS, opts, 41), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_FLOWINFO, flow, 4), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_FLOWINFO, flow, 3), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_HOPOPTS, hop_short, sizeof(hop_short)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_HOPOPTS, hop, 1), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_RTHDR, rt0, sizeof(rt0)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_2292RTHDR, rt2_two_left, sizeof(rt2_two_left)), EINVAL);
	/* whole as its hdrlen says, but a type 2 header is 24 bytes (hdrlen 2): EINVAL */
	assert_refused(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_RTHDR, rt2_hdrlen_4, sizeof(rt2_hdrlen_4)), EINVAL);
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SCM_DEVMEM_DMABUF, &proto17, 8), EINVAL);

	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(SOL_SOCKET, SO_TIMESTAMPING_NEW, &ts_tx, 4)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IP, IP_PROTOCOL, &proto17, sizeof(int))));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IP, IP_RETOPTS, opts, 40)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_FLOWINFO, flow_ok, 4)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_HOPOPTS, hop, sizeof(hop))));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(IPPROTO_IPV6, IPV6_RTHDR, rt2, sizeof(rt2))));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(SOL_SOCKET, SCM_DEVMEM_DMABUF, &proto17, 4)));
}

/*
 * A payload that the kind (@level, @type) takes, alone in a buffer; for the
 * int kinds an int 1, in the host's byte order as the kernel reads it.
 */
static struct cmsgbuf_msg taken(int level, int type)
{
	static const unsigned char zeros[sizeof(struct in6_pktinfo)];
	static const int one = 1;
	static const unsigned char opt_hdr[8], rthdr_type_2[24] = { 0, 2, 2, 1 };

	if (level == IPPROTO_IP && type == IP_PKTINFO)
		return cmsgbuf_raw(level, type, zeros, sizeof(struct in_pktinfo));
	if (level == IPPROTO_IPV6 && (type == IPV6_PKTINFO || type == IPV6_2292PKTINFO))
		return cmsgbuf_raw(level, type, zeros, sizeof(struct in6_pktinfo));
	if (level == IPPROTO_IPV6 && (type == IPV6_HOPOPTS || type == IPV6_2292HOPOPTS ||
				      type == IPV6_DSTOPTS || type == IPV6_2292DSTOPTS))
		return cmsgbuf_raw(level, type, opt_hdr, sizeof(opt_hdr));
	if (level == IPPROTO_IPV6 && (type == IPV6_RTHDR || type == IPV6_2292RTHDR))
		return cmsgbuf_raw(level, type, rthdr_type_2, sizeof(rthdr_type_2));
	return cmsgbuf_raw(level, type, &one, sizeof(one));
}

/* Two kinds that set one field of the kernel's send state: the second is refused. */
static void kinds_that_set_one_kernel_field_are_refused_together(void **state)
{
	static const struct { int level1, type1, level2, type2; } pairs[] = {
		{ SOL_SOCKET, SO_TIMESTAMPING_OLD, SOL_SOCKET, SO_TIMESTAMPING_NEW },
		{ IPPROTO_IPV6, IPV6_HOPLIMIT, IPPROTO_IPV6, IPV6_2292HOPLIMIT },
		{ SOL_SOCKET, SO_PRIORITY, IPPROTO_IP, IP_TOS },
		{ IPPROTO_IPV6, IPV6_PKTINFO, IPPROTO_IPV6, IPV6_2292PKTINFO },
		{ IPPROTO_IP, IP_PKTINFO, IPPROTO_IPV6, IPV6_PKTINFO },
		{ IPPROTO_IP, IP_PKTINFO, IPPROTO_IPV6, IPV6_2292PKTINFO },
		{ IPPROTO_IPV6, IPV6_HOPOPTS, IPPROTO_IPV6, IPV6_2292HOPOPTS },
		{ IPPROTO_IPV6, IPV6_DSTOPTS, IPPROTO_IPV6, IPV6_2292DSTOPTS },
		{ IPPROTO_IPV6, IPV6_RTHDR, IPPROTO_IPV6, IPV6_2292RTHDR },
	};
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		struct cmsgbuf_msg one = taken(pairs[i].level1, pairs[i].type1);
		struct cmsgbuf_msg other = taken(pairs[i].level2, pairs[i].type2);

		/* each is taken alone, and refused after the other, in either order */
		cmsgbuf_send_clear(&b);
		assert_true(cmsgbuf_send_push(&b, other));
		assert_refused(&b, one, EINVAL);
		cmsgbuf_send_clear(&b);
		assert_true(cmsgbuf_send_push(&b, one));
		assert_refused(&b, other, EINVAL);
		assert_refused(&b, one, EINVAL);
	}
}

/* cmsgbuf_unchecked(): the structural checks, and none of the kernel's rules. */
static void unchecked_messages_get_only_the_structural_checks(void **state)
{
	unsigned int dmabuf = 5, ts_new_bit = 1u << 30;
	int tos = 256, fds[2] = { -1, 3 };
	struct cmsgbuf_send b = fresh(CMSG_SPACE(4) * 3 + CMSG_SPACE(0));
	struct cmsgbuf_msg batch[2];

	(void)state;
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_unchecked(SOL_SOCKET, 0x7ead, &dmabuf, sizeof(dmabuf))));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_unchecked(SOL_SOCKET, SO_TIMESTAMPING_NEW, &ts_new_bit, 4)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_unchecked(IPPROTO_IP, IP_TOS, &tos, sizeof(tos))));
	/* a checked message that would override an unchecked one is refused */
	assert_refused(&b, cmsgbuf_raw(SOL_SOCKET, SO_PRIORITY, &dmabuf, 4), EINVAL);
	assert_refused(&b, cmsgbuf_unchecked(IPPROTO_IP, 99, NULL, 1), EINVAL);
	assert_refused(&b, cmsgbuf_unchecked(IPPROTO_IP, 99, &tos, (size_t)INT_MAX + 1), EOVERFLOW);
	assert_refused(&b, cmsgbuf_unchecked(IPPROTO_IP, 99, &tos, 1), ENOSPC);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_unchecked(IPPROTO_IP, 99, NULL, 0)));
	assert_int_equal(cmsgbuf_check(cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b)), CMSGBUF_WELL_FORMED);
	/* unchecked fds count towards CMSGBUF_MAX_FDS; the batch is all or nothing */
	b = fresh(ARENA);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_unchecked(SOL_SOCKET, SCM_RIGHTS, some_fds, 250 * sizeof(int))));
	batch[0] = cmsgbuf_unchecked(SOL_SOCKET, SCM_RIGHTS, fds, sizeof(fds));
	batch[1] = cmsgbuf_rights(some_fds, 2);
	errno = 0;
	assert_false(cmsgbuf_send_extend(&b, batch, 2));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(cmsgbuf_send_controllen(&b), CMSG_SPACE(250 * sizeof(int)));
	assert_refused(&b, cmsgbuf_rights(some_fds, 4), EINVAL);
	assert_true(cmsgbuf_send_extend(&b, batch, 1));
	assert_refused(&b, cmsgbuf_rights(some_fds, 2), EINVAL);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(some_fds, 1)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_unchecked(SOL_SOCKET, SCM_RIGHTS, some_fds, 2)));
}

static void full_buffer_is_enospc(void **state)
{
	int fd = 0;
	struct cmsgbuf_send b = fresh(CMSGBUF_RIGHTS_SPACE(1));

	(void)state;
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1)));
	assert_refused(&b, cmsgbuf_rights(&fd, 1), ENOSPC);
	b = fresh(CMSGBUF_RIGHTS_SPACE(1) - 1);
	assert_refused(&b, cmsgbuf_rights(&fd, 1), ENOSPC);
}

/* EINVAL outranks ENOSPC: the message is wrong wherever it goes. */
static void invalid_in_full_buffer_is_einval(void **state)
{
	int fd = -1;
	struct cmsgbuf_send b = fresh(0);

	(void)state;
	assert_refused(&b, cmsgbuf_rights(&fd, 1), EINVAL);
}

/* Layout of a pushed message: header, payload, zeroed padding, nothing else touched. */
static void push_lays_out_header_payload_and_zero_padding(void **state)
{
	const unsigned char payload[3] = { 0xff, 0xfe, 0xfd };
	struct cmsgbuf_send b = fresh(ARENA);
	const unsigned char *p;
	struct cmsghdr h;

	(void)state;
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(OTHER_LEVEL, 99, payload, 3)));
	p = cmsgbuf_send_control(&b);
	assert_ptr_equal(p, arena.bytes);
	assert_int_equal(cmsgbuf_send_controllen(&b), CMSG_SPACE(3));
	memcpy(&h, p, sizeof(h));
	assert_int_equal(h.cmsg_len, CMSG_LEN(3));
	assert_int_equal(h.cmsg_level, OTHER_LEVEL);
	assert_int_equal(h.cmsg_type, 99);
	assert_memory_equal(p + CMSG_LEN(0), payload, 3);
	for (size_t i = CMSG_LEN(3); i < CMSG_SPACE(3); i++)
		assert_int_equal(p[i], 0);
	for (size_t i = CMSG_SPACE(3); i < ARENA; i++)
		assert_int_equal(p[i], 0xa5);
	assert_int_equal(cmsgbuf_check(p, CMSG_SPACE(3)), CMSGBUF_WELL_FORMED);
}

static void extend_is_all_or_nothing(void **state)
{
	int fds[2] = { 0, 1 }, bad = -1;
	struct cmsgbuf_msg batch[3] = {
		cmsgbuf_rights(fds, 2),
		cmsgbuf_credentials(&me),
		cmsgbuf_rights(&bad, 1),
	};
	struct cmsgbuf_send b = fresh(ARENA);
	static unsigned char before[ARENA];

	(void)state;
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 1)));
	memcpy(before, arena.bytes, ARENA);
	errno = 0;
	assert_false(cmsgbuf_send_extend(&b, batch, 3));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(cmsgbuf_send_controllen(&b), CMSGBUF_RIGHTS_SPACE(1));
	assert_memory_equal(before, arena.bytes, ARENA);

	/* a batch that does not fit as a whole: nothing of it is kept */
	b = fresh(CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE - 1);
	memcpy(before, arena.bytes, ARENA);
	assert_false(cmsgbuf_send_extend(&b, batch, 2));
	assert_int_equal(errno, ENOSPC);
	assert_int_equal(cmsgbuf_send_controllen(&b), 0);
	assert_memory_equal(before, arena.bytes, ARENA);

	/* a batch that breaks a rule only together: two credentials */
	b = fresh(ARENA);
	batch[0] = cmsgbuf_credentials(&me);
	assert_false(cmsgbuf_send_extend(&b, batch, 2));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(cmsgbuf_send_controllen(&b), 0);
}

static void extend_adds_every_message(void **state)
{
	int fds[2] = { 0, 1 };
	struct cmsgbuf_msg batch[2] = { cmsgbuf_credentials(&me), cmsgbuf_rights(fds, 2) };
	struct cmsgbuf_send b = fresh(CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE);
	const struct cmsghdr *c;

	(void)state;
	assert_true(cmsgbuf_send_extend(&b, batch, 2));
	assert_int_equal(cmsgbuf_send_controllen(&b), CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE);
	c = cmsgbuf_first(cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b));
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, SCM_CREDENTIALS);
	c = cmsgbuf_next(cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b), c);
	assert_non_null(c);
	assert_int_equal(c->cmsg_type, SCM_RIGHTS);
	assert_memory_equal(CMSG_DATA(c), fds, sizeof(fds));
	/* empty batch: true, nothing changes; NULL batch of n > 0: EINVAL */
	assert_true(cmsgbuf_send_extend(&b, NULL, 0));
	assert_false(cmsgbuf_send_extend(&b, NULL, 1));
	assert_int_equal(errno, EINVAL);
}

static void empty_buffer_refuses_with_enospc(void **state)
{
	struct cmsgbuf_send b = CMSGBUF_SEND_EMPTY;
	int fd = 0;

	(void)state;
	assert_null(cmsgbuf_send_control(&b));
	assert_int_equal(cmsgbuf_send_controllen(&b), 0);
	assert_false(cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1)));
	assert_int_equal(errno, ENOSPC);
	cmsgbuf_send_init(&b, NULL, 0);
	assert_false(cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1)));
	assert_int_equal(errno, ENOSPC);
	/* NULL space with a size is a caller's slip: an empty buffer, no crash */
	cmsgbuf_send_init(&b, NULL, 64);
	assert_false(cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1)));
	assert_int_equal(errno, ENOSPC);
	assert_null(cmsgbuf_send_control(&b));
}

static void clear_empties_and_reuses_the_space(void **state)
{
	int fd = 0;
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1)));
	cmsgbuf_send_clear(&b);
	assert_int_equal(cmsgbuf_send_controllen(&b), 0);
	assert_null(cmsgbuf_send_control(&b));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(&me)));
	assert_ptr_equal(cmsgbuf_send_control(&b), arena.bytes);
}

/*
 * Every misalignment of space times every size up to twice what two messages
 * need: no byte outside [space, space + size) changes, a push succeeds exactly
 * when the aligned part has room, and what it builds is well-formed.
 */
static void every_alignment_and_size(void **state)
{
	int fds[2] = { 0, 1 };
	const size_t need = CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE;

	(void)state;
	for (size_t mis = 0; mis < alignof(struct cmsghdr); mis++) {
		for (size_t size = 0; size <= 2 * CMSGBUF_SPACE(need); size++) {
			unsigned char *space = arena.bytes + 64 + mis;
			size_t usable = size > (alignof(struct cmsghdr) - mis) % alignof(struct cmsghdr)
						? size - (alignof(struct cmsghdr) - mis) % alignof(struct cmsghdr)
						: 0;
			struct cmsgbuf_send b;
			bool ok1, ok2;

			memset(arena.bytes, 0xa5, sizeof(arena.bytes));
			cmsgbuf_send_init(&b, space, size);
			ok1 = cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 2));
			ok2 = cmsgbuf_send_push(&b, cmsgbuf_credentials(&me));
			assert_int_equal(ok1, usable >= CMSGBUF_RIGHTS_SPACE(2));
			assert_int_equal(ok2, usable >= (ok1 ? need : CMSGBUF_CREDENTIALS_SPACE));
			if (size >= CMSGBUF_SPACE(need))
				assert_true(ok1 && ok2);
			for (size_t i = 0; i < sizeof(arena.bytes); i++)
				if (arena.bytes + i < space || arena.bytes + i >= space + size)
					assert_int_equal(arena.bytes[i], 0xa5);
			if (cmsgbuf_send_controllen(&b)) {
				const unsigned char *c = cmsgbuf_send_control(&b);

				assert_true(c >= space && c + cmsgbuf_send_controllen(&b) <= space + size);
				assert_int_equal((uintptr_t)c % alignof(struct cmsghdr), 0);
			}
			assert_int_equal(cmsgbuf_check(cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b)),
					 CMSGBUF_WELL_FORMED);
		}
	}
}

/* CMSGBUF_SPACE() is exactly enough at the worst alignment, and one byte less is not. */
static void space_macro_is_exact_at_worst_alignment(void **state)
{
	int fds[2] = { 0, 1 };
	const size_t need = CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE;
	unsigned char *worst = arena.bytes + 1;
	struct cmsgbuf_send b;

	(void)state;
	cmsgbuf_send_init(&b, worst, CMSGBUF_SPACE(need));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 2)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(&me)));
	cmsgbuf_send_init(&b, worst, CMSGBUF_SPACE(need) - 1);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 2)));
	assert_false(cmsgbuf_send_push(&b, cmsgbuf_credentials(&me)));
	assert_int_equal(errno, ENOSPC);
}

/* The raw constructor reaches the same rules as the typed ones. */
static void raw_rights_and_credentials_follow_the_same_rules(void **state)
{
	int fds[2] = { 3, 4 };
	struct cmsgbuf_send b = fresh(ARENA);

	(void)state;
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(SOL_SOCKET, SCM_CREDENTIALS, &me, sizeof(me))));
	assert_refused(&b, cmsgbuf_credentials(&me), EINVAL);
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(SOL_SOCKET, SCM_RIGHTS, fds, sizeof(fds))));
	assert_int_equal(cmsgbuf_send_controllen(&b), CMSGBUF_CREDENTIALS_SPACE + CMSGBUF_RIGHTS_SPACE(2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(rights_without_fds_is_einval),
		cmocka_unit_test(rights_with_negative_fd_is_einval),
		cmocka_unit_test(rights_length_not_multiple_of_int_is_einval),
		cmocka_unit_test(rights_over_253_in_one_message_is_einval),
		cmocka_unit_test(rights_over_253_across_messages_is_einval),
		cmocka_unit_test(rights_count_too_large_for_bytes_is_eoverflow),
		cmocka_unit_test(credentials_of_wrong_length_are_einval),
		cmocka_unit_test(second_credentials_are_einval),
		cmocka_unit_test(unknown_sol_socket_type_is_einval),
		cmocka_unit_test(null_payload_with_length_is_einval),
		cmocka_unit_test(payload_above_int_max_is_eoverflow),
		cmocka_unit_test(total_above_int_max_is_eoverflow),
		cmocka_unit_test(ip_and_udp_rules),
		cmocka_unit_test(other_levels_pass_through),
		cmocka_unit_test(unknown_types_at_socket_ip_ipv6_and_udp_levels_are_einval),
		cmocka_unit_test(values_the_kernel_refuses_are_einval),
		cmocka_unit_test(kinds_that_set_one_kernel_field_are_refused_together),
		cmocka_unit_test(unchecked_messages_get_only_the_structural_checks),
		cmocka_unit_test(full_buffer_is_enospc),
		cmocka_unit_test(invalid_in_full_buffer_is_einval),
		cmocka_unit_test(push_lays_out_header_payload_and_zero_padding),
		cmocka_unit_test(extend_is_all_or_nothing),
		cmocka_unit_test(extend_adds_every_message),
		cmocka_unit_test(empty_buffer_refuses_with_enospc),
		cmocka_unit_test(clear_empties_and_reuses_the_space),
		cmocka_unit_test(every_alignment_and_size),
		cmocka_unit_test(space_macro_is_exact_at_worst_alignment),
		cmocka_unit_test(raw_rights_and_credentials_follow_the_same_rules),
	};

	return cmocka_run_group_tests(tests, fd_ledger_open, fd_ledger_close);
}
