/*
 * bench-walk: walking a buffer of 64 messages, with cmsgbuf_first() and
 * cmsgbuf_next() and with the libc's CMSG_FIRSTHDR() and CMSG_NXTHDR(); and
 * cmsgbuf_check() of the same buffer, against the same libc walk (the libc
 * has no check: that figure is what checking costs over merely walking).
 *
 * The buffer alternates one-fd rights messages with messages of an unknown
 * level whose payloads take 0 to 7 bytes, so that most messages are padded.
 * Each walk reads every header's type and length, so that neither side can
 * skip a message. Figures are per message.
 */

#include <stdalign.h>
#include <string.h>
#include <sys/socket.h>

#include "cmsgbuf.h"
#include "bench.h"

#define MESSAGES 64
#define RAW_LEVEL 0x4242

struct ctx {
	struct {
		alignas(struct cmsghdr) unsigned char bytes[MESSAGES * CMSG_SPACE(8)];	/* payloads take at most 7 bytes */
	} space;
	size_t len;
	struct msghdr mh;	/* msg_control and msg_controllen: the buffer */
	size_t sum;		/* what each walk read */
	enum cmsgbuf_defect defect;
};

static BENCH_NOINLINE void bench_op_walk_64_cmsgbuf(void *p)
{
	struct ctx *c = p;
	const unsigned char *buf = c->mh.msg_control;
	size_t len = c->mh.msg_controllen, sum = 0;

	for (const struct cmsghdr *h = cmsgbuf_first(buf, len); h; h = cmsgbuf_next(buf, len, h))
		sum += (size_t)h->cmsg_type + h->cmsg_len;
	c->sum = sum;
	bench_escape(&c->sum);
}

static inline size_t walk_hand(struct msghdr *mh)
{
	size_t sum = 0;

	for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h; h = CMSG_NXTHDR(mh, h))
		sum += (size_t)h->cmsg_type + h->cmsg_len;
	return sum;
}

static BENCH_NOINLINE void bench_op_walk_64_hand(void *p)
{
	struct ctx *c = p;

	c->sum = walk_hand(&c->mh);
	bench_escape(&c->sum);
}

static BENCH_NOINLINE void bench_op_check_64_cmsgbuf(void *p)
{
	struct ctx *c = p;

	c->defect = cmsgbuf_check(c->mh.msg_control, c->mh.msg_controllen);
	bench_escape(&c->defect);
}

static BENCH_NOINLINE void bench_op_check_64_hand(void *p)
{
	struct ctx *c = p;

	c->sum = walk_hand(&c->mh);
	bench_escape(&c->sum);
}

static const struct bench_op ops[] = {
	BENCH_OP(walk_64, MESSAGES, NULL, false),
	BENCH_OP(check_64, MESSAGES, NULL, false),
};

int main(int argc, char **argv)
{
	static struct ctx c;
	static const unsigned char payload[8] = { 0 };
	struct cmsgbuf_send b;
	size_t walked;
	int fd = 0;

	cmsgbuf_send_init(&b, c.space.bytes, sizeof(c.space.bytes));
	for (int i = 0; i < MESSAGES; i++) {
		struct cmsgbuf_msg m = i % 2 ? cmsgbuf_raw(RAW_LEVEL, i, payload, (size_t)i / 2 % 8)
					     : cmsgbuf_rights(&fd, 1);

		if (!cmsgbuf_send_push(&b, m))
			bench_fail("building the buffer");
	}
	c.mh.msg_control = cmsgbuf_send_control(&b);
	c.mh.msg_controllen = cmsgbuf_send_controllen(&b);

	/* Both walks must see the same 64 messages. */
	walked = walk_hand(&c.mh);
	bench_op_walk_64_cmsgbuf(&c);
	if (c.sum != walked)
		bench_fail("walk_64: the walks disagree");
	bench_op_check_64_cmsgbuf(&c);
	if (c.defect != CMSGBUF_WELL_FORMED)
		bench_fail("check_64: the buffer is not well-formed");
	return bench_main(argc, argv, ops, sizeof(ops) / sizeof(ops[0]), &c);
}
