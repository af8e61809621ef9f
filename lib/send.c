/*
 * The send buffer. Its fast path lives in cmsgbuf.h: init, clear, and a push
 * of rights or credentials that pass every rule. Everything else comes here,
 * to cmsgbuf_send_extend(). Read admit() first: it decides whether one more
 * message may join the buffer, from the buffer's tally alone, without
 * writing. Extend calls it for every message before it writes any byte; that
 * is what makes it all-or-nothing. put() then lays the message out with
 * every padding byte zeroed.
 *
 * Invariants: base is aligned to CMSGBUF_HDR_ALIGN (or NULL with cap 0);
 * len <= cap and len <= INT_MAX; [base, base + len) is well-formed in the
 * sense of cmsgbuf_check(); nfds and once describe exactly those messages.
 */

#include "private.h"	/* first: it sets _GNU_SOURCE */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <assert.h>

#include "kinds.h"

/* What admit() keeps track of while a batch is checked. */
struct tally {
	size_t len;
	unsigned int nfds;
	unsigned int once;
};

static int admit(const struct cmsgbuf_send *b, struct tally *t, const struct cmsgbuf_msg *m)
{
	size_t need;
	int err;

	if (m->held ? m->len > sizeof(m->value) : m->len != 0 && !m->data)
		return EINVAL;
	/* Below INT_MAX, CMSG_SPACE() cannot overflow size_t, even 32-bit. */
	if (m->len > INT_MAX)
		return EOVERFLOW;
	need = CMSG_SPACE(m->len);
	if (need > (size_t)INT_MAX - t->len)
		return EOVERFLOW;
	/* cap <= INT_MAX (cmsgbuf_send_init()), so from here on nothing wraps. */
	err = cmsgbuf_kind_admit(m, &t->nfds, &t->once);
	if (err)
		return err;
	if (need > b->cap - t->len)
		return ENOSPC;
	t->len += need;
	return 0;
}

static void put(struct cmsgbuf_send *b, const struct cmsgbuf_msg *m)
{
	unsigned char *p = b->base + b->len;
	struct cmsghdr h;

	/*
	 * The padding after the payload, fewer than CMSG_ALIGN(1) bytes, lies
	 * in the last CMSG_ALIGN(1) bytes of the message's space: zero those
	 * with one fixed-size store, then let the payload and the header
	 * (which covers the whole space when the payload is empty) overwrite
	 * what is theirs.
	 */
	memset(p + CMSG_SPACE(m->len) - CMSG_ALIGN(1), 0, CMSG_ALIGN(1));
	if (m->len)
		memcpy(p + CMSG_LEN(0), cmsgbuf_payload(m), m->len);
	/* Zeroes any padding member of the header (musl's __pad1) too. */
	memset(&h, 0, sizeof(h));
	h.cmsg_len = CMSG_LEN(m->len);
	h.cmsg_level = m->level;
	h.cmsg_type = m->type;
	memcpy(p, &h, sizeof(h));
	memset(p + sizeof(h), 0, CMSG_LEN(0) - sizeof(h));
#ifdef CMSGBUF_PLANTED_DEFECT /* test-only (fuzz/meson.build): dirty padding the fuzzers must catch */
	memset(p + CMSG_LEN(m->len), 1, CMSG_SPACE(m->len) - CMSG_LEN(m->len));
#endif
	/* The message just written, not the whole buffer: no push costs what it holds. */
	assert(cmsgbuf_check(p, CMSG_SPACE(m->len)) == CMSGBUF_WELL_FORMED);
	b->len += CMSG_SPACE(m->len);
}

static bool refuse(int err)
{
	errno = err;
	return false;
}

CMSGBUF_PUBLIC bool cmsgbuf_send_extend(struct cmsgbuf_send *b, const struct cmsgbuf_msg *msgs, size_t n)
{
	struct tally t = { b->len, b->nfds, b->once };

	if (n != 0 && !msgs)
		return refuse(EINVAL);
	for (size_t i = 0; i < n; i++) {
		int err = admit(b, &t, &msgs[i]);

		if (err)
			return refuse(err);
	}
	for (size_t i = 0; i < n; i++)
		put(b, &msgs[i]);
	b->nfds = t.nfds;
	b->once = t.once;
	return true;
}

/*
 * The exported copies of the inline functions of cmsgbuf.h, for callers that
 * do not inline them.
 */
extern inline void cmsgbuf_send_init(struct cmsgbuf_send *b, void *space, size_t size);
extern inline void cmsgbuf_send_clear(struct cmsgbuf_send *b);
extern inline bool cmsgbuf_send_push(struct cmsgbuf_send *b, struct cmsgbuf_msg msg);
extern inline void *cmsgbuf_send_control(const struct cmsgbuf_send *b);
extern inline size_t cmsgbuf_send_controllen(const struct cmsgbuf_send *b);
