/*
 * bench-push: building a control buffer ready for sendmsg(2), with cmsgbuf
 * and by hand.
 *
 * Each operation ends with msg_control and msg_controllen set, as a sender
 * needs them. The cmsgbuf side is what its documentation shows: init (or
 * clear), push or extend, then cmsgbuf_send_control() and
 * cmsgbuf_send_controllen(). The hand-written side is the textbook code:
 * zero the buffer, CMSG_FIRSTHDR(), CMSG_NXTHDR(), fill each header, memcpy()
 * the payload. Both sides write into the same buffer, aligned for struct
 * cmsghdr of exactly the messages' CMSG_SPACE(), and main() checks that they
 * leave the same bytes in it before anything is timed.
 */

#include <stdalign.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include "cmsgbuf.h"
#include "bench.h"

/* A buffer aligned as CMSG_FIRSTHDR() needs, of exactly @n bytes. */
#define SPACE(n) struct { alignas(struct cmsghdr) unsigned char bytes[n]; }

/* push_many: as many messages as push_many pushes, each an int of an unknown level. */
#define MANY 1000
#define MANY_LEVEL 0x4242

#define UDP_BATCH_SPACE (CMSG_SPACE(sizeof(struct cmsgbuf_in_pktinfo)) + 2 * CMSG_SPACE(sizeof(int)) + \
			 CMSG_SPACE(sizeof(unsigned short)))

struct ctx {
	int fds[CMSGBUF_MAX_FDS];
	struct cmsgbuf_ucred cred;
	struct cmsgbuf_in_pktinfo pktinfo;
	int ttl, tos;
	unsigned short gso;
	struct msghdr mh;	/* each operation leaves its result here */
	SPACE(CMSGBUF_RIGHTS_SPACE(1)) rights_1;
	SPACE(MANY * CMSG_SPACE(sizeof(int))) many;
	SPACE(CMSGBUF_RIGHTS_SPACE(16)) rights_16;
	SPACE(CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS)) rights_253;
	SPACE(CMSGBUF_CREDENTIALS_SPACE) credentials;
	SPACE(CMSGBUF_RIGHTS_SPACE(1) + CMSGBUF_CREDENTIALS_SPACE) two;
	struct cmsgbuf_send two_b;	/* initialised once, cleared by each call */
	SPACE(UDP_BATCH_SPACE) udp_batch;
	bool keep;			/* the *_stack operations copy their bytes to kept */
	SPACE(CMSGBUF_RIGHTS_SPACE(1) + CMSGBUF_CREDENTIALS_SPACE) kept;
};

static void done_cmsgbuf(struct ctx *c, const struct cmsgbuf_send *b)
{
	c->mh.msg_control = cmsgbuf_send_control(b);
	c->mh.msg_controllen = cmsgbuf_send_controllen(b);
	bench_escape(c->mh.msg_control);
}

/* Zeroes @size bytes at @buf and points c->mh at them: the hand-written start. */
static struct cmsghdr *start_hand(struct ctx *c, unsigned char *buf, size_t size)
{
	memset(buf, 0, size);
	c->mh.msg_control = buf;
	c->mh.msg_controllen = size;
	return CMSG_FIRSTHDR(&c->mh);
}

static void fill(struct cmsghdr *h, int level, int type, const void *data, size_t len)
{
	h->cmsg_level = level;
	h->cmsg_type = type;
	h->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(h), data, len);
}

static inline void rights_cmsgbuf(struct ctx *c, unsigned char *buf, size_t size, size_t n)
{
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, buf, size);
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(c->fds, n)))
		bench_fail("push of rights");
	done_cmsgbuf(c, &b);
}

static inline void rights_hand(struct ctx *c, unsigned char *buf, size_t size, size_t n)
{
	fill(start_hand(c, buf, size), SOL_SOCKET, SCM_RIGHTS, c->fds, n * sizeof(int));
	bench_escape(c->mh.msg_control);
}

#define RIGHTS_OPS(n)                                                                    \
	static BENCH_NOINLINE void bench_op_push_rights_##n##_cmsgbuf(void *p)           \
	{                                                                                \
		struct ctx *c = p;                                                       \
		rights_cmsgbuf(c, c->rights_##n.bytes, sizeof(c->rights_##n.bytes), n);  \
	}                                                                                \
	static BENCH_NOINLINE void bench_op_push_rights_##n##_hand(void *p)              \
	{                                                                                \
		struct ctx *c = p;                                                       \
		rights_hand(c, c->rights_##n.bytes, sizeof(c->rights_##n.bytes), n);     \
	}

RIGHTS_OPS(1)
RIGHTS_OPS(16)
RIGHTS_OPS(253)

static BENCH_NOINLINE void bench_op_push_credentials_cmsgbuf(void *p)
{
	struct ctx *c = p;
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, c->credentials.bytes, sizeof(c->credentials.bytes));
	if (!cmsgbuf_send_push(&b, cmsgbuf_credentials(&c->cred)))
		bench_fail("push of credentials");
	done_cmsgbuf(c, &b);
}

static BENCH_NOINLINE void bench_op_push_credentials_hand(void *p)
{
	struct ctx *c = p;

	fill(start_hand(c, c->credentials.bytes, sizeof(c->credentials.bytes)),
	     SOL_SOCKET, SCM_CREDENTIALS, &c->cred, sizeof(c->cred));
	bench_escape(c->mh.msg_control);
}

/* Reusing one buffer: clear it, push rights and credentials. */
static BENCH_NOINLINE void bench_op_push_two_clear_cmsgbuf(void *p)
{
	struct ctx *c = p;

	cmsgbuf_send_clear(&c->two_b);
	if (!cmsgbuf_send_push(&c->two_b, cmsgbuf_rights(c->fds, 1)) ||
	    !cmsgbuf_send_push(&c->two_b, cmsgbuf_credentials(&c->cred)))
		bench_fail("push of two messages");
	done_cmsgbuf(c, &c->two_b);
}

static BENCH_NOINLINE void bench_op_push_two_clear_hand(void *p)
{
	struct ctx *c = p;
	struct cmsghdr *h = start_hand(c, c->two.bytes, sizeof(c->two.bytes));

	fill(h, SOL_SOCKET, SCM_RIGHTS, c->fds, sizeof(int));
	h = CMSG_NXTHDR(&c->mh, h);
	fill(h, SOL_SOCKET, SCM_CREDENTIALS, &c->cred, sizeof(c->cred));
	bench_escape(c->mh.msg_control);
}

/* What a UDP sender with segmentation offload passes: four IP/UDP messages. */
static BENCH_NOINLINE void bench_op_extend_udp_4_cmsgbuf(void *p)
{
	struct ctx *c = p;
	struct cmsgbuf_send b;
	struct cmsgbuf_msg batch[] = {
		cmsgbuf_raw(IPPROTO_IP, IP_PKTINFO, &c->pktinfo, sizeof(c->pktinfo)),
		cmsgbuf_raw(IPPROTO_IP, IP_TTL, &c->ttl, sizeof(c->ttl)),
		cmsgbuf_raw(IPPROTO_IP, IP_TOS, &c->tos, sizeof(c->tos)),
		cmsgbuf_raw(SOL_UDP, UDP_SEGMENT, &c->gso, sizeof(c->gso)),
	};

	cmsgbuf_send_init(&b, c->udp_batch.bytes, sizeof(c->udp_batch.bytes));
	if (!cmsgbuf_send_extend(&b, batch, sizeof(batch) / sizeof(batch[0])))
		bench_fail("extend of a UDP batch");
	done_cmsgbuf(c, &b);
}

static BENCH_NOINLINE void bench_op_extend_udp_4_hand(void *p)
{
	struct ctx *c = p;
	struct cmsghdr *h = start_hand(c, c->udp_batch.bytes, sizeof(c->udp_batch.bytes));

	fill(h, IPPROTO_IP, IP_PKTINFO, &c->pktinfo, sizeof(c->pktinfo));
	h = CMSG_NXTHDR(&c->mh, h);
	fill(h, IPPROTO_IP, IP_TTL, &c->ttl, sizeof(c->ttl));
	h = CMSG_NXTHDR(&c->mh, h);
	fill(h, IPPROTO_IP, IP_TOS, &c->tos, sizeof(c->tos));
	h = CMSG_NXTHDR(&c->mh, h);
	fill(h, SOL_UDP, UDP_SEGMENT, &c->gso, sizeof(c->gso));
	bench_escape(c->mh.msg_control);
}

/* The same four messages pushed one by one, three of them by value constructors that hold the value. */
static BENCH_NOINLINE void bench_op_push_udp_4_held_cmsgbuf(void *p)
{
	struct ctx *c = p;
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, c->udp_batch.bytes, sizeof(c->udp_batch.bytes));
	if (!cmsgbuf_send_push(&b, cmsgbuf_ip_pktinfo(&c->pktinfo)) ||
	    !cmsgbuf_send_push(&b, cmsgbuf_ip_ttl(c->ttl)) ||
	    !cmsgbuf_send_push(&b, cmsgbuf_ip_tos(c->tos)) ||
	    !cmsgbuf_send_push(&b, cmsgbuf_udp_segment(c->gso)))
		bench_fail("push of four UDP kinds");
	done_cmsgbuf(c, &b);
}

static BENCH_NOINLINE void bench_op_push_udp_4_held_hand(void *p)
{
	bench_op_extend_udp_4_hand(p);
}

/*
 * One buffer filled with MANY messages off push's inline path: the figure is
 * per message, and stays flat only while no push does work proportional to
 * what the buffer already holds (in every build type: scripts/bench also
 * measures Meson's default, whose asserts stay on).
 */
static BENCH_NOINLINE void bench_op_push_many_cmsgbuf(void *p)
{
	struct ctx *c = p;
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, c->many.bytes, sizeof(c->many.bytes));
	for (int i = 0; i < MANY; i++)
		if (!cmsgbuf_send_push(&b, cmsgbuf_raw(MANY_LEVEL, i, &c->ttl, sizeof(c->ttl))))
			bench_fail("push of many messages");
	done_cmsgbuf(c, &b);
}

static BENCH_NOINLINE void bench_op_push_many_hand(void *p)
{
	struct ctx *c = p;
	struct cmsghdr *h = start_hand(c, c->many.bytes, sizeof(c->many.bytes));

	for (int i = 0; i < MANY; i++, h = CMSG_NXTHDR(&c->mh, h))
		fill(h, MANY_LEVEL, i, &c->ttl, sizeof(c->ttl));
	bench_escape(c->mh.msg_control);
}

/*
 * The *_stack operations build the buffer where most senders do: in a local
 * array of the sending function (cmsgbuf: the documented
 * unsigned char space[CMSGBUF_SPACE(...)]; by hand: an array aligned for
 * struct cmsghdr), with a local struct msghdr. There the compiler knows the
 * array's address and size, so cmsgbuf's alignment and room checks cost
 * nothing; the operations above pass the space behind a pointer, where they
 * must run.
 */
static inline void done_stack(struct ctx *c, void *control, size_t len)
{
	struct msghdr mh = { .msg_control = control, .msg_controllen = len };

	bench_escape(&mh);
	bench_escape(control);
	/* The array dies with the call: main() needs a copy to compare. */
	if (c->keep) {
		memcpy(c->kept.bytes, control, len);
		c->mh.msg_control = c->kept.bytes;
		c->mh.msg_controllen = len;
	}
}

/* The hand-written start: a zeroed aligned local array, and CMSG_FIRSTHDR(). */
#define HAND_STACK_START(mh, buf)                        \
	memset((buf).bytes, 0, sizeof((buf).bytes));     \
	(mh).msg_control = (buf).bytes;                  \
	(mh).msg_controllen = sizeof((buf).bytes)

static BENCH_NOINLINE void bench_op_push_rights_1_stack_cmsgbuf(void *p)
{
	struct ctx *c = p;
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(c->fds, 1)))
		bench_fail("push of rights");
	done_stack(c, cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b));
}

static BENCH_NOINLINE void bench_op_push_rights_1_stack_hand(void *p)
{
	struct ctx *c = p;
	SPACE(CMSGBUF_RIGHTS_SPACE(1)) buf;
	struct msghdr mh = { 0 };

	HAND_STACK_START(mh, buf);
	fill(CMSG_FIRSTHDR(&mh), SOL_SOCKET, SCM_RIGHTS, c->fds, sizeof(int));
	done_stack(c, mh.msg_control, mh.msg_controllen);
}

static BENCH_NOINLINE void bench_op_push_credentials_stack_cmsgbuf(void *p)
{
	struct ctx *c = p;
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE)];
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_credentials(&c->cred)))
		bench_fail("push of credentials");
	done_stack(c, cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b));
}

static BENCH_NOINLINE void bench_op_push_credentials_stack_hand(void *p)
{
	struct ctx *c = p;
	SPACE(CMSGBUF_CREDENTIALS_SPACE) buf;
	struct msghdr mh = { 0 };

	HAND_STACK_START(mh, buf);
	fill(CMSG_FIRSTHDR(&mh), SOL_SOCKET, SCM_CREDENTIALS, &c->cred, sizeof(c->cred));
	done_stack(c, mh.msg_control, mh.msg_controllen);
}

static BENCH_NOINLINE void bench_op_push_two_stack_cmsgbuf(void *p)
{
	struct ctx *c = p;
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1) + CMSGBUF_CREDENTIALS_SPACE)];
	struct cmsgbuf_send b;

	cmsgbuf_send_init(&b, space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(c->fds, 1)) ||
	    !cmsgbuf_send_push(&b, cmsgbuf_credentials(&c->cred)))
		bench_fail("push of two messages");
	done_stack(c, cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b));
}

static BENCH_NOINLINE void bench_op_push_two_stack_hand(void *p)
{
	struct ctx *c = p;
	SPACE(CMSGBUF_RIGHTS_SPACE(1) + CMSGBUF_CREDENTIALS_SPACE) buf;
	struct msghdr mh = { 0 };
	struct cmsghdr *h;

	HAND_STACK_START(mh, buf);
	h = CMSG_FIRSTHDR(&mh);
	fill(h, SOL_SOCKET, SCM_RIGHTS, c->fds, sizeof(int));
	h = CMSG_NXTHDR(&mh, h);
	fill(h, SOL_SOCKET, SCM_CREDENTIALS, &c->cred, sizeof(c->cred));
	done_stack(c, mh.msg_control, mh.msg_controllen);
}

static const struct bench_op ops[] = {
	BENCH_OP(push_rights_1, 1, NULL, false),
	BENCH_OP(push_rights_16, 1, NULL, false),
	BENCH_OP(push_rights_253, 1, NULL, false),
	BENCH_OP(push_credentials, 1, NULL, false),
	BENCH_OP(push_two_clear, 1, NULL, false),
	BENCH_OP(extend_udp_4, 1, NULL, false),
	BENCH_OP(push_many, MANY, NULL, false),
	BENCH_OP(push_udp_4_held, 1, NULL, false),
	BENCH_OP(push_rights_1_stack, 1, NULL, false),
	BENCH_OP(push_credentials_stack, 1, NULL, false),
	BENCH_OP(push_two_stack, 1, NULL, false),
};

/* Both sides of @op, run on a dirtied buffer, must leave the same bytes. */
static void same_bytes(const struct bench_op *op, struct ctx *c)
{
	unsigned char *lo = (unsigned char *)&c->rights_1, *hi = (unsigned char *)(c + 1);
	unsigned char seen[sizeof(c->many)];
	size_t len;

	memset(lo, 0xa5, (size_t)(hi - lo));
	cmsgbuf_send_init(&c->two_b, c->two.bytes, sizeof(c->two.bytes));
	op->run[BENCH_CMSGBUF](c);
	len = c->mh.msg_controllen;
	if (len > sizeof(seen))
		bench_fail(op->name);
	memcpy(seen, c->mh.msg_control, len);
	memset(lo, 0xa5, (size_t)(hi - lo));
	cmsgbuf_send_init(&c->two_b, c->two.bytes, sizeof(c->two.bytes));
	op->run[BENCH_HAND](c);
	if (c->mh.msg_controllen != len || memcmp(seen, c->mh.msg_control, len) != 0 ||
	    cmsgbuf_check(c->mh.msg_control, len) != CMSGBUF_WELL_FORMED)
		bench_fail(op->name);
}

int main(int argc, char **argv)
{
	static struct ctx c;
	size_t n = sizeof(ops) / sizeof(ops[0]);

	for (int i = 0; i < CMSGBUF_MAX_FDS; i++)
		c.fds[i] = i;
	c.cred = (struct cmsgbuf_ucred){ 1, 2, 3 };
	c.pktinfo.ipi_ifindex = 1;
	c.ttl = 64;
	c.tos = 0x10;
	c.gso = 1400;
	c.keep = true;
	for (size_t i = 0; i < n; i++)
		same_bytes(&ops[i], &c);
	c.keep = false;
	return bench_main(argc, argv, ops, n, &c);
}
