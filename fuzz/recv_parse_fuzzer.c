/*
 * recv_parse_fuzzer: cmsgbuf_recv_adopt() takes arbitrary bytes as received
 * control data, and a script of calls (next, take, clear, adopt again, find,
 * credentials, count) runs on the buffer. After every call the fuzzer checks
 * it against a model of its own: the walk yields every message the walk
 * accepts exactly once, in order (the last clamped to the bytes there when
 * its cmsg_len runs past them), never reads outside the bytes, and always
 * ends; and every descriptor has one owner, the buffer or the caller, as the
 * ownership rule says: a take makes all of a message's descriptors the
 * caller's or none, a clear closes exactly those the buffer owns (each once,
 * none the caller took), and an adopt into a buffer holding data is EBUSY.
 *
 * Descriptors: every whole int in the payload of an fd-carrying message
 * (SCM_RIGHTS, SCM_PIDFD) is overwritten, before adopt, with an fd this
 * fuzzer opened for it, so the library is only ever given fds it may close;
 * no close hook in the library. The fd numbers in the input are ignored.
 *
 * Each take gets an output array of exactly the size it asks for (the count
 * the model expects, give or take 2), in a heap block between guard bytes
 * that ASan poisons: a copy of one fd too many is a crash at once under
 * ASan, and a broken guard otherwise.
 *
 * The input: one byte, whose high bit is MSG_CTRUNC in msg_flags and whose
 * low 7 bits are the length L of the script; L script bytes, each a call
 * (low 3 bits) and its argument (high 5 bits, see run()); then the control
 * bytes, in a heap block of exactly their size so that ASan reports a read
 * past the end. After the script, a clear, and every descriptor is checked.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cmsgbuf.h"
#include "fuzz-input.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(FUZZ_ASAN)
#define FUZZ_ASAN 1
#endif
#ifdef FUZZ_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

enum { NEXT, TAKE, CLEAR, ADOPT, FIND, CREDENTIALS, NFDS, DRAIN };

/* A message as the walk must find it: the oracle, written independently. */
struct expect {
	size_t off, len;	/* header offset, payload length after clamping */
	int level, type;
	bool clamped;		/* its cmsg_len ran past the end */
};

/* Who owns a planted descriptor. */
enum owner { BUFFER, CALLER, CLOSED };

struct slot {
	size_t msg;		/* the message it is in */
	size_t off;		/* its offset in the control bytes */
	int fd;
	enum owner owner;
};

struct model {
	unsigned char *control;
	size_t len;
	struct msghdr mh;
	struct expect *e;
	size_t n;		/* messages */
	struct slot *slots;
	size_t nslots;
	int base;		/* what fds are dup()ed from */
	struct cmsgbuf_recv b;
	bool holds;		/* the buffer holds the bytes (there are some) */
	size_t walk;		/* the next message the walk yields */
	struct cmsgbuf_msg last;	/* the last message yielded or found */
	size_t last_i;
	bool has_last;
};

static bool carries_fds(int level, int type)
{
	return level == SOL_SOCKET && (type == SCM_RIGHTS || type == SCM_PIDFD);
}

/*
 * The messages in @len bytes: headers at CMSG_ALIGN() steps, each with
 * cmsg_len of at least a header; the first whose cmsg_len runs past the end
 * is the last, cut to the bytes there; the walk stops at a header that does
 * not fit, or when a message's padding does not.
 */
static size_t expected(const unsigned char *control, size_t len, struct expect *e)
{
	size_t off = 0, n = 0;

	while (len - off >= sizeof(struct cmsghdr)) {
		struct cmsghdr h;
		size_t clen;

		memcpy(&h, control + off, sizeof(h));
		clen = h.cmsg_len;
		if (clen < CMSG_LEN(0))
			break;
		e[n] = (struct expect){ off, 0, h.cmsg_level, h.cmsg_type, clen > len - off };
		if (e[n].clamped)
			clen = len - off;
		e[n++].len = clen - CMSG_LEN(0);
		if (CMSG_ALIGN(clen) - clen > len - off - clen)
			break;
		off += CMSG_ALIGN(clen);
	}
	return n;
}

/* Writes a fresh fd into each whole int of fd-carrying payloads: a receive, as the kernel does it. */
static void plant_fds(struct model *s)
{
	s->nslots = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (!carries_fds(s->e[i].level, s->e[i].type))
			continue;
		for (size_t j = 0; j < s->e[i].len / sizeof(int); j++) {
			size_t off = s->e[i].off + CMSG_LEN(0) + j * sizeof(int);
			int fd = fcntl(s->base, F_DUPFD_CLOEXEC, 0);

			fuzz_assert(fd >= 0, "dup: %s", strerror(errno));
			memcpy(s->control + off, &fd, sizeof(fd));
			s->slots[s->nslots++] = (struct slot){ i, off, fd, BUFFER };
		}
	}
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* The ownership rule, after every call: what the buffer or the caller owns is open, and named where it was. */
static void check_owners(const struct model *s, const char *after)
{
	for (size_t k = 0; k < s->nslots; k++) {
		const struct slot *sl = &s->slots[k];
		int in_bytes;

		if (sl->owner == CLOSED)
			continue;
		fuzz_assert(is_open(sl->fd), "after %s: fd %d (%s) was closed", after, sl->fd,
			    sl->owner == BUFFER ? "the buffer's" : "the caller's");
		memcpy(&in_bytes, s->control + sl->off, sizeof(in_bytes));
		fuzz_assert(sl->owner == BUFFER ? in_bytes == sl->fd : in_bytes < 0,
			    "after %s: the slot of fd %d holds %d", after, sl->fd, in_bytes);
	}
	fuzz_assert(is_open(s->base), "after %s: the library closed an fd it did not own", after);
}

/* The descriptors of message @i that the buffer owns. */
static size_t owned_in(const struct model *s, size_t i)
{
	size_t k = 0;

	for (size_t j = 0; j < s->nslots; j++)
		k += s->slots[j].msg == i && s->slots[j].owner == BUFFER;
	return k;
}

/* @m is message @i, read in place. */
static void check_msg(const struct model *s, const struct cmsgbuf_msg *m, size_t i)
{
	const struct expect *e = &s->e[i];

	fuzz_assert(m->level == e->level && m->type == e->type && m->len == e->len &&
		    m->data == s->control + e->off + CMSG_LEN(0),
		    "message %zu: (%d, %d, %zu bytes at +%td), expected (%d, %d, %zu bytes at +%zu)", i,
		    m->level, m->type, m->len, (const unsigned char *)m->data - s->control, e->level, e->type,
		    e->len, e->off + CMSG_LEN(0));
}

static void next(struct model *s)
{
	struct cmsgbuf_msg m;
	bool got = cmsgbuf_recv_next(&s->b, &m);

	if (!s->holds || s->walk == s->n) {
		fuzz_assert(!got && m.level == 0 && m.type == 0 && !m.data && m.len == 0,
			    "a message after the end of the walk");
		return;
	}
	fuzz_assert(got, "the walk ended after %zu of %zu messages", s->walk, s->n);
	check_msg(s, &m, s->walk);
	s->last = m;
	s->last_i = s->walk++;
	s->has_last = true;
}

#define GUARD 16

/* cmsgbuf_recv_take_fds() of the last message into exactly @max ints between poisoned guards. */
static void take(struct model *s, unsigned arg)
{
	size_t own = s->has_last && s->holds ? owned_in(s, s->last_i) : 0;
	size_t max = own + arg % 5 >= 2 ? own + arg % 5 - 2 : 0;
	size_t bytes = max * sizeof(int);
	unsigned char *block = fuzz_alloc(2 * GUARD + bytes);
	int *out = (int *)(void *)(block + GUARD);
	ssize_t r;

	if (!s->has_last) {
		free(block);
		return;
	}
	memset(block, 0xa5, 2 * GUARD + bytes);
	ASAN_POISON_MEMORY_REGION(block, GUARD);
	ASAN_POISON_MEMORY_REGION(block + GUARD + bytes, GUARD);
	errno = 0;
	r = cmsgbuf_recv_take_fds(&s->b, &s->last, out, max);
	ASAN_UNPOISON_MEMORY_REGION(block, 2 * GUARD + bytes);
	for (size_t i = 0; i < GUARD; i++)
		fuzz_assert(block[i] == 0xa5 && block[GUARD + bytes + i] == 0xa5,
			    "take wrote outside the %zu ints it was given", max);
	if (!s->holds || own > max) {
		fuzz_assert(r == -1 && errno == (s->holds ? ENOSPC : EINVAL),
			    "take of %zu fds into %zu (buffer %s): %zd, errno %d", own, max,
			    s->holds ? "holding" : "cleared", r, errno);
		for (size_t i = 0; i < bytes; i++)
			fuzz_assert(block[GUARD + i] == 0xa5, "a refused take wrote into the array");
		free(block);
		return;
	}
	fuzz_assert(r >= 0 && (size_t)r == own, "take of message %zu: %zd fds, the buffer owned %zu", s->last_i,
		    r, own);
	for (size_t j = 0, k = 0; j < s->nslots; j++) {
		struct slot *sl = &s->slots[j];

		if (sl->msg != s->last_i || sl->owner != BUFFER)
			continue;
		fuzz_assert(out[k] == sl->fd, "take: fd %zu is %d, expected %d", k, out[k], sl->fd);
		sl->owner = CALLER;
		k++;
	}
	free(block);
}

static void clear(struct model *s)
{
	cmsgbuf_recv_clear(&s->b);
	for (size_t k = 0; k < s->nslots; k++) {
		struct slot *sl = &s->slots[k];

		if (sl->owner != BUFFER)
			continue;
		fuzz_assert(fcntl(sl->fd, F_GETFD) == -1 && errno == EBADF, "fd %d left open by clear", sl->fd);
		sl->owner = CLOSED;
	}
	s->holds = false;
	s->walk = 0;
}

/* Adopt again: refused while the buffer holds the bytes; else, with arg bit 0, after a new "receive". */
static void adopt(struct model *s, unsigned arg)
{
	bool ok;

	if (!s->holds && (arg & 1)) {
		/* the caller's fds of the last receive stay the caller's: out of the model */
		for (size_t k = 0; k < s->nslots; k++)
			if (s->slots[k].owner == CALLER)
				fuzz_assert(close(s->slots[k].fd) == 0, "fd %d handed out, but closed already",
					    s->slots[k].fd);
		plant_fds(s);
	}
	errno = 0;
	ok = cmsgbuf_recv_adopt(&s->b, &s->mh);
	if (s->holds) {
		fuzz_assert(!ok && errno == EBUSY, "adopt into a buffer holding data: %d, errno %d", ok, errno);
		return;
	}
	fuzz_assert(ok, "adopt refused an aligned buffer into an empty one: errno %d", errno);
	fuzz_assert(cmsgbuf_recv_truncated(&s->b) == (s->mh.msg_flags != 0), "MSG_CTRUNC not reported as it was");
	/* no control data is nothing to hold: the buffer stays empty */
	s->holds = s->len != 0;
	s->walk = 0;
}

static void find(struct model *s, unsigned arg)
{
	int level = (int)(arg & 7), type = (int)(arg >> 3);
	struct cmsgbuf_msg m;
	size_t i = 0;
	bool got;

	if (s->n && !(arg & 16)) {
		level = s->e[arg % s->n].level;
		type = s->e[arg % s->n].type;
	}
	while (i < s->n && (s->e[i].level != level || s->e[i].type != type))
		i++;
	errno = 0;
	got = cmsgbuf_recv_find(&s->b, level, type, &m);
	if (!s->holds || i == s->n) {
		fuzz_assert(!got && errno == ENOENT && !m.data, "find (%d, %d): a message not received", level, type);
		return;
	}
	fuzz_assert(got, "find (%d, %d): message %zu not found", level, type, i);
	check_msg(s, &m, i);
	s->last = m;
	s->last_i = i;
	s->has_last = true;
}

static void credentials(struct model *s)
{
	struct cmsgbuf_ucred cred = { 7, 7, 7 }, want;
	size_t i = 0;
	bool got;

	while (i < s->n && (s->e[i].level != SOL_SOCKET || s->e[i].type != CMSGBUF_SCM_CREDENTIALS))
		i++;
	errno = 0;
	got = cmsgbuf_recv_credentials(&s->b, &cred);
	if (!s->holds || i == s->n) {
		fuzz_assert(!got && errno == ENOENT && cred.pid == 7, "credentials that were not received");
		return;
	}
	if (s->e[i].len != sizeof(cred)) {
		fuzz_assert(!got && errno == EINVAL && cred.pid == 7, "credentials of %zu bytes read", s->e[i].len);
		return;
	}
	memcpy(&want, s->control + s->e[i].off + CMSG_LEN(0), sizeof(want));
	fuzz_assert(got && memcmp(&cred, &want, sizeof(cred)) == 0, "credentials not read as received");
}

static void nfds(const struct model *s)
{
	size_t want;

	if (!s->has_last)
		return;
	want = owned_in(s, s->last_i);
	fuzz_assert(cmsgbuf_msg_nfds(&s->last) == want, "message %zu: %zu fds counted, the buffer owns %zu",
		    s->last_i, cmsgbuf_msg_nfds(&s->last), want);
}

static const char *const names[] = { "next", "take", "clear", "adopt", "find", "credentials", "nfds", "drain" };

static void run(struct model *s, uint8_t op)
{
	unsigned arg = op >> 3;

	switch (op & 7) {
	case NEXT:
		next(s);
		break;
	case TAKE:
		take(s, arg);
		break;
	case CLEAR:
		clear(s);
		break;
	case ADOPT:
		adopt(s, arg);
		break;
	case FIND:
		find(s, arg);
		break;
	case CREDENTIALS:
		credentials(s);
		break;
	case NFDS:
		nfds(s);
		break;
	default:
		for (size_t i = 0; i <= s->n; i++)
			next(s);
		break;
	}
	check_owners(s, names[op & 7]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t script = size ? data[0] & 0x7f : 0, len;
	struct model s;

	if (size && script > size - 1)
		script = size - 1;
	len = size ? size - 1 - script : 0;
	memset(&s, 0, sizeof(s));
	s.len = len;
	s.control = fuzz_alloc(len ? len : 1);
	s.e = fuzz_alloc((len / CMSG_LEN(0) + 1) * sizeof(*s.e));
	s.slots = fuzz_alloc((len / sizeof(int) + 1) * sizeof(*s.slots));
	s.base = open("/dev/null", O_RDONLY | O_CLOEXEC);
	s.b = (struct cmsgbuf_recv)CMSGBUF_RECV_EMPTY;
	fuzz_assert(s.base >= 0, "open /dev/null: %s", strerror(errno));
	if (len)
		memcpy(s.control, data + 1 + script, len);
	s.n = expected(s.control, len, s.e);
	plant_fds(&s);

	/* The walker accepts them all but a clamped last one, which it stops at. */
	{
		size_t i = 0;

		for (const struct cmsghdr *h = cmsgbuf_first(s.control, len); h;
		     h = cmsgbuf_next(s.control, len, h), i++)
			fuzz_assert(i < s.n && (const unsigned char *)h == s.control + s.e[i].off && !s.e[i].clamped,
				    "the walker's header %zu is not the one expected", i);
		fuzz_assert(i == s.n || (i == s.n - 1 && s.e[i].clamped), "the walker found %zu of %zu messages",
			    i, s.n);
	}

	s.mh.msg_control = len ? s.control : NULL;
	s.mh.msg_controllen = len;
	s.mh.msg_flags = size && data[0] & 0x80 ? MSG_CTRUNC : 0;
	adopt(&s, 0);
	check_owners(&s, "adopt");
	for (size_t i = 0; i < script; i++)
		run(&s, data[1 + i]);
	clear(&s);
	for (size_t k = 0; k < s.nslots; k++)
		if (s.slots[k].owner == CALLER)
			fuzz_assert(close(s.slots[k].fd) == 0, "fd %d handed out, but closed already", s.slots[k].fd);
	close(s.base);
	free(s.slots);
	free(s.e);
	free(s.control);
	return 0;
}
