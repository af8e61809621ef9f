/*
 * send_ops_fuzzer: no sequence of init, push, extend and clear can leave the
 * buffer malformed, touch a byte it does not own, or disagree with the rules.
 *
 * The input is a list of operations, each an opcode byte (mod 6) and its
 * operands; integers are little-endian, and a short input reads as zeros:
 *   0 INIT    u8 flags, u16 size (mod 4097), u8 offset (mod 64), u8 fill
 *             (flags bit 0: space NULL and size 0; bit 1: CMSGBUF_SEND_EMPTY)
 *   1 RIGHTS  u16 count (mod 300), then count fd bytes (int8_t: 0x80.. < 0)
 *   2 CREDS   u32 pid, u32 uid, u32 gid
 *   3 RAW     u8 kind (below NAMED: named[kind]; else i32 level, i32 type),
 *             u8 mode (mod 4: 0, 1: u16 length (mod 2048) and that many
 *             payload bytes; 2: u16 length, NULL data; 3: u8 picks a length
 *             from huge[] (mod 6), with a one-byte payload in a 4-byte
 *             block (the rules of IPv6 headers read their first 4 bytes
 *             before the room is checked), NULL if bit 7;
 *             bit 2 of the byte: made by cmsgbuf_unchecked(), not _raw();
 *             bit 3: made by the value constructor of named[kind] (u64
 *             value, or a 12- or 20-byte packet-info block), else a
 *             message filled in by hand that holds u8 length (mod 16)
 *             bytes, the rest of the mode ignored)
 *   4 EXTEND  u8 n (0xff: msgs NULL with n = 1, else mod 9), then n times a
 *             u8 (mod 3: RIGHTS, CREDS, RAW) and that message's operands
 *   5 CLEAR
 * fuzz/make-corpus.py writes seeds in this encoding.
 *
 * struct model is the oracle: it states the push rules of cmsgbuf.h anew
 * (kernel_takes(), verdict()) rather than asking lib/kinds.c, and records
 * what the buffer must hold; expect[] is what every byte of the arena must
 * be. After every operation, check_op() compares what it did: its answer,
 * the bytes it wrote or could have written, and the walks over its new
 * messages; check_all() compares everything, before each init and at the
 * end of the input. Nothing after an operation rewrites what it could have
 * spoilt except later pushes over the space left, so a defect is seen even
 * where check_op() does not look, at the latest by check_all(); and no
 * operation costs what the buffer already holds.
 */

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdalign.h>
#include <sys/socket.h>

#include "cmsgbuf.h"
#include "fuzz-input.h"

#if defined(__SANITIZE_ADDRESS__)
#define SEND_OPS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SEND_OPS_ASAN 1
#endif
#endif
#ifdef SEND_OPS_ASAN
#include <sanitizer/asan_interface.h>
#endif

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SO_TIMESTAMPING_OLD
#define SO_TIMESTAMPING_OLD 37
#endif
#ifndef SO_TIMESTAMPING_NEW
#define SO_TIMESTAMPING_NEW 65
#endif
#ifndef SCM_TXTIME
#define SCM_TXTIME 61
#endif
#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81
#endif
#ifndef SCM_DEVMEM_DMABUF
#define SCM_DEVMEM_DMABUF 79
#endif
#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52
#endif
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11
#endif

#define MAX_OPS 256
#define MAX_SIZE 4096
#define MAX_OFFSET 63
#define GUARD 64
#define MAX_MSGS (MAX_SIZE / CMSG_SPACE(0))

enum op { OP_INIT, OP_RIGHTS, OP_CREDS, OP_RAW, OP_EXTEND, OP_CLEAR, OP_COUNT };
static const char *const op_names[OP_COUNT] = { "init", "push rights", "push credentials",
						 "push raw", "extend", "clear" };

/* (level, type) pairs the fuzzer reaches with one byte; not the rules. */
static const struct { int level, type; } named[] = {
	{ SOL_SOCKET, SCM_RIGHTS }, { SOL_SOCKET, CMSGBUF_SCM_CREDENTIALS },
	{ SOL_SOCKET, SO_MARK }, { SOL_SOCKET, SO_PRIORITY },
	{ SOL_SOCKET, SO_TIMESTAMPING_OLD }, { SOL_SOCKET, SO_TIMESTAMPING_NEW },
	{ SOL_SOCKET, SCM_TXTIME }, { SOL_SOCKET, SCM_TS_OPT_ID }, { SOL_SOCKET, SO_DEBUG },
	{ IPPROTO_IP, IP_PKTINFO }, { IPPROTO_IP, IP_TTL }, { IPPROTO_IP, IP_TOS },
	{ IPPROTO_IP, IP_OPTIONS }, { SOL_UDP, UDP_SEGMENT }, { SOL_UDP, 1 },
	{ IPPROTO_IPV6, IPV6_PKTINFO }, { IPPROTO_IPV6, IPV6_HOPLIMIT },
	{ IPPROTO_IPV6, IPV6_TCLASS }, { IPPROTO_IPV6, IPV6_DONTFRAG }, { IPPROTO_IPV6, 99 },
	{ -1, -1 }, { INT_MIN, INT_MAX },
	{ IPPROTO_IPV6, IPV6_2292HOPLIMIT }, { IPPROTO_IPV6, IPV6_2292PKTINFO },
	{ IPPROTO_IP, IP_RETOPTS }, { IPPROTO_IP, IP_PROTOCOL }, { IPPROTO_IPV6, IPV6_FLOWINFO },
	{ IPPROTO_IPV6, IPV6_HOPOPTS }, { IPPROTO_IPV6, IPV6_2292HOPOPTS },
	{ IPPROTO_IPV6, IPV6_DSTOPTS }, { IPPROTO_IPV6, IPV6_2292DSTOPTS },
	{ IPPROTO_IPV6, IPV6_RTHDRDSTOPTS }, { IPPROTO_IPV6, IPV6_RTHDR }, { IPPROTO_IPV6, IPV6_2292RTHDR },
	{ SOL_SOCKET, SCM_DEVMEM_DMABUF }, { IPPROTO_TCP, 1 },
};
#define NAMED (sizeof(named) / sizeof(named[0]))

/* The largest payload whose CMSG_SPACE() is still at most INT_MAX. */
#define BIGGEST_FIT ((size_t)INT_MAX - CMSG_SPACE(0) - (CMSG_ALIGN(1) - 1))
static const size_t huge[] = {
	BIGGEST_FIT, BIGGEST_FIT + 1, BIGGEST_FIT - 64, INT_MAX, (size_t)INT_MAX + 1, SIZE_MAX,
};

struct model_msg {
	int level, type;
	size_t len;
	size_t at;		/* offset of the header from base */
};

struct model {
	unsigned char *space;	/* what init was given */
	size_t size;
	unsigned char *base;	/* the aligned part the buffer may use */
	size_t cap;
	size_t len;		/* the sum of the messages' CMSG_SPACE() */
	size_t n;
	/*
	 * The arrays last, and only ever appended to: what is before them is
	 * the whole state an extend saves and restores (run_op()).
	 */
	struct model_msg msg[MAX_MSGS];
	unsigned char payload[MAX_SIZE];	/* msg[i]'s payload at payload + msg[i].at */
};

static alignas(16) unsigned char arena[GUARD + MAX_OFFSET + MAX_SIZE + GUARD];
static struct model model;
static struct cmsgbuf_send buf;

/*
 * The guard pattern, which every byte of the arena outside the space keeps.
 * Under ASan those bytes are poisoned too, so that any access to them is
 * reported where it happens; only the few that share an 8-byte granule with
 * the space's first byte are left to the comparison (see arena_checked()).
 */
static unsigned char guards[sizeof(arena)];
/*
 * What each byte of the arena must hold: the guards, the fill of the space,
 * and every message pushed. Between inputs, the arena and expect[] are the
 * guards.
 */
static unsigned char expect[sizeof(arena)];

/* The messages the walks have checked since the buffer was last emptied. */
static struct {
	size_t n;
	struct cmsghdr *libc;		/* the last of them, found by the libc's walk */
	const struct cmsghdr *ours;	/* and by cmsgbuf's */
} walked;

static void make_guards(void)
{
	for (size_t i = 0; i < sizeof(guards); i++)
		guards[i] = (unsigned char)(0xa5 ^ (i * 7));
	memcpy(arena, guards, sizeof(arena));
	memcpy(expect, guards, sizeof(arena));
#ifdef SEND_OPS_ASAN
	ASAN_POISON_MEMORY_REGION(arena, sizeof(arena));
#endif
}

/* The first offset in [@from, @to) where @a and @b differ, or @to. Callers
 * check two ranges, [0, lo) and [hi, end), and see "end" when both agree. */
FUZZ_NO_COVERAGE static size_t first_difference(const unsigned char *a, const unsigned char *b, size_t from, size_t to)
{
	if (from >= to || memcmp(a + from, b + from, to - from) == 0)
		return to;
	while (a[from] == b[from])
		from++;
	return from;
}

/*
 * The model, from here to model_init(), has no coverage callbacks either: its
 * branches restate the library's, which have theirs, and the constants its
 * comparisons would hand the mutator are in named[] and the dictionary. With
 * them it was 184 of the binary's 461 counters, which libFuzzer reads after
 * every run (docs/fuzzing.md, Speed).
 */

/* Where @msg's payload lies, as struct cmsgbuf_msg documents it: value when held, else data. */
FUZZ_NO_COVERAGE static const unsigned char *payload_of(const struct cmsgbuf_msg *msg)
{
	return msg->held ? msg->value : (const unsigned char *)msg->data;
}

/* Descriptors in @m's rights messages, unchecked ones included, as push counts them. */
FUZZ_NO_COVERAGE static size_t fds_in(const struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n; i++)
		if (m->msg[i].level == SOL_SOCKET && m->msg[i].type == SCM_RIGHTS)
			n += m->msg[i].len / sizeof(int);
	return n;
}

/* At least one fd, whole ints, none negative, and at most 253 in the buffer. */
FUZZ_NO_COVERAGE static bool rights_ok(const struct model *m, const struct cmsgbuf_msg *msg)
{
	size_t n = msg->len / sizeof(int);

	if (n == 0 || msg->len % sizeof(int) != 0 || fds_in(m) + n > CMSGBUF_MAX_FDS)
		return false;
	for (size_t i = 0; i < n; i++) {
		int fd;

		memcpy(&fd, payload_of(msg) + i * sizeof(int), sizeof(fd));
		if (fd < 0)
			return false;
	}
	return true;
}

FUZZ_NO_COVERAGE static bool int_in(const struct cmsgbuf_msg *msg, int lo, int hi)
{
	int v;

	if (msg->len != sizeof(int))
		return false;
	memcpy(&v, payload_of(msg), sizeof(v));
	return v >= lo && v <= hi;
}

/*
 * The fields of the kernel's send state that (level, type) sets on Linux
 * 6.18: __sock_cmsg_send() and __scm_send() fill the sockcm_cookie and the
 * credentials, ip_cmsg_send() the ipcm_cookie (IP_TOS the priority too, and
 * IPV6_PKTINFO the source address on an IPv6 socket sending to an IPv4-mapped
 * address), udp_cmsg_send() the gso_size, ip6_datagram_send_ctl() the
 * ipcm6_cookie, the flowi6 and the ipv6_txoptions.
 */
enum {
	SETS_CREDS = 1 << 0, SETS_MARK = 1 << 1, SETS_TSFLAGS = 1 << 2, SETS_TXTIME = 1 << 3,
	SETS_TS_OPT_ID = 1 << 4, SETS_PRIORITY = 1 << 5, SETS_DMABUF = 1 << 6, SETS_GSO = 1 << 7,
	SETS_SOURCE = 1 << 8, SETS_TOS = 1 << 9, SETS_TTL = 1 << 10, SETS_IP_OPTIONS = 1 << 11,
	SETS_PROTOCOL = 1 << 12, SETS_HOPLIMIT = 1 << 13, SETS_TCLASS = 1 << 14, SETS_DONTFRAG = 1 << 15,
	SETS_FLOWLABEL = 1 << 16, SETS_HOPOPTS = 1 << 17, SETS_DSTOPTS = 1 << 18,
	SETS_RTHDRDSTOPTS = 1 << 19, SETS_RTHDR = 1 << 20,
};

FUZZ_NO_COVERAGE static unsigned int sets(int level, int type)
{
	if (level == SOL_SOCKET) {
		switch (type) {
		case CMSGBUF_SCM_CREDENTIALS: return SETS_CREDS;
		case SO_MARK: return SETS_MARK;
		case SO_TIMESTAMPING_OLD: case SO_TIMESTAMPING_NEW: return SETS_TSFLAGS;
		case SCM_TXTIME: return SETS_TXTIME;
		case SCM_TS_OPT_ID: return SETS_TS_OPT_ID;
		case SO_PRIORITY: return SETS_PRIORITY;
		case SCM_DEVMEM_DMABUF: return SETS_DMABUF;
		}
	} else if (level == SOL_UDP) {
		if (type == UDP_SEGMENT)
			return SETS_GSO;
	} else if (level == IPPROTO_IP) {
		switch (type) {
		case IP_PKTINFO: return SETS_SOURCE;
		case IP_TOS: return SETS_TOS | SETS_PRIORITY;
		case IP_TTL: return SETS_TTL;
		case IP_RETOPTS: return SETS_IP_OPTIONS;
		case IP_PROTOCOL: return SETS_PROTOCOL;
		}
	} else if (level == IPPROTO_IPV6) {
		switch (type) {
		case IPV6_PKTINFO: case IPV6_2292PKTINFO: return SETS_SOURCE;
		case IPV6_HOPLIMIT: case IPV6_2292HOPLIMIT: return SETS_HOPLIMIT;
		case IPV6_TCLASS: return SETS_TCLASS;
		case IPV6_DONTFRAG: return SETS_DONTFRAG;
		case IPV6_FLOWINFO: return SETS_FLOWLABEL;
		case IPV6_HOPOPTS: case IPV6_2292HOPOPTS: return SETS_HOPOPTS;
		case IPV6_DSTOPTS: case IPV6_2292DSTOPTS: return SETS_DSTOPTS;
		case IPV6_RTHDRDSTOPTS: return SETS_RTHDRDSTOPTS;
		case IPV6_RTHDR: case IPV6_2292RTHDR: return SETS_RTHDR;
		}
	}
	return 0;
}

/* Does a message already in @m set a field that @msg sets? */
FUZZ_NO_COVERAGE static bool overrides(const struct model *m, const struct cmsgbuf_msg *msg)
{
	unsigned int mine = sets(msg->level, msg->type);

	for (size_t i = 0; i < m->n; i++)
		if (sets(m->msg[i].level, m->msg[i].type) & mine)
			return true;
	return false;
}

/* An IPv6 extension header of at least @least bytes, as long as its hdrlen (byte 1) says. */
FUZZ_NO_COVERAGE static bool ext_header_ok(const struct cmsgbuf_msg *msg, size_t least)
{
	const unsigned char *p = payload_of(msg);

	return msg->len >= least && msg->len >= ((size_t)p[1] + 1) * 8;
}

/* The kernel's rule for @msg alone, at the levels whose every type it knows. */
FUZZ_NO_COVERAGE static bool kernel_takes_alone(const struct model *m, const struct cmsgbuf_msg *msg)
{
	const unsigned char *p = payload_of(msg);
	size_t len = msg->len;
	uint32_t u32;

	switch (msg->level) {
	case SOL_SOCKET:
		switch (msg->type) {
		case SCM_RIGHTS:
			return rights_ok(m, msg);
		case CMSGBUF_SCM_CREDENTIALS:
			return len == sizeof(struct cmsgbuf_ucred);
		case SO_MARK:
		case SO_PRIORITY:
		case SCM_TS_OPT_ID:
		case SCM_DEVMEM_DMABUF:
			return len == sizeof(uint32_t);
		case SO_TIMESTAMPING_OLD:
		case SO_TIMESTAMPING_NEW:
			if (len != sizeof(uint32_t))
				return false;
			memcpy(&u32, p, sizeof(u32));
			/* SOF_TIMESTAMPING_TX_{HARDWARE,SOFTWARE,SCHED,ACK,COMPLETION} */
			return (u32 & ~(uint32_t)0x40303) == 0;
		case SCM_TXTIME:
			return len == sizeof(uint64_t);
		default:
			return false;
		}
	case IPPROTO_IP:
		switch (msg->type) {
		case IP_PKTINFO:
			return len == sizeof(struct in_pktinfo);
		case IP_TTL:
		case IP_PROTOCOL:
			return int_in(msg, 1, 255);
		case IP_TOS:
			return len == 1 || int_in(msg, 0, 255);
		case IP_RETOPTS:
			return len <= 40;
		default:
			return false;
		}
	case SOL_UDP:
		return msg->type == UDP_SEGMENT && len == sizeof(uint16_t);
	case IPPROTO_IPV6:
		switch (msg->type) {
		case IPV6_PKTINFO:
		case IPV6_2292PKTINFO:
			return len >= sizeof(struct in6_pktinfo);
		case IPV6_HOPLIMIT:
		case IPV6_2292HOPLIMIT:
		case IPV6_TCLASS:
			return int_in(msg, -1, 255);
		case IPV6_DONTFRAG:
			return int_in(msg, 0, 1);
		case IPV6_FLOWINFO:
			return len >= 4 && (p[0] >> 4) == 0;
		case IPV6_HOPOPTS:
		case IPV6_2292HOPOPTS:
		case IPV6_DSTOPTS:
		case IPV6_2292DSTOPTS:
		case IPV6_RTHDRDSTOPTS:
			return ext_header_ok(msg, 2);
		case IPV6_RTHDR:
		case IPV6_2292RTHDR:
			return ext_header_ok(msg, 4) && p[1] == 2 && p[2] == 2 && p[3] == 1;
		default:
			return false;
		}
	default:
		return true;
	}
}

/* Would the kernel take @msg after @m's messages, without dropping it or letting it override one? */
FUZZ_NO_COVERAGE static bool kernel_takes(const struct model *m, const struct cmsgbuf_msg *msg)
{
	return kernel_takes_alone(m, msg) && !overrides(m, msg);
}

/* cmsgbuf_send_push()'s answer, in the order its documentation gives. */
FUZZ_NO_COVERAGE static int verdict(const struct model *m, const struct cmsgbuf_msg *msg)
{
	if (msg->held ? msg->len > sizeof(msg->value) : msg->len != 0 && !msg->data)
		return EINVAL;
	if (msg->len > INT_MAX || m->len + CMSG_SPACE(msg->len) > INT_MAX)
		return EOVERFLOW;
	if (!msg->unchecked && !kernel_takes(m, msg))
		return EINVAL;
	if (CMSG_SPACE(msg->len) > m->cap - m->len)
		return ENOSPC;
	return 0;
}

FUZZ_NO_COVERAGE static void model_append(struct model *m, const struct cmsgbuf_msg *msg)
{
	struct model_msg *e = &m->msg[m->n++];

	*e = (struct model_msg){ msg->level, msg->type, msg->len, m->len };
	if (msg->len)
		memcpy(m->payload + e->at, payload_of(msg), msg->len);
	m->len += CMSG_SPACE(msg->len);
}

FUZZ_NO_COVERAGE static void model_init(struct model *m, unsigned char *space, size_t size)
{
	size_t skip = 0;

	while (space && skip < size && (uintptr_t)(space + skip) % CMSGBUF_HDR_ALIGN)
		skip++;
	memset(m, 0, offsetof(struct model, msg));
	m->space = space;
	m->size = size;
	if (space && skip < size) {
		m->base = space + skip;
		m->cap = size - skip;
	}
}

/*
 * The model's space back to guard bytes, and @size bytes at @space filled
 * with @fill. Under ASan, poisoned guard bytes cannot have changed, and the
 * space is poisoned again instead.
 */
FUZZ_NO_COVERAGE static void set_space(unsigned char *space, size_t size, unsigned char fill)
{
	size_t at = model.space ? (size_t)(model.space - arena) : 0;

#ifdef SEND_OPS_ASAN
	ASAN_POISON_MEMORY_REGION(arena + at, model.size);
	memcpy(expect + at, guards + at, model.size);
	if (size) {
		/* which makes the bytes before it in its granule accessible: guards again */
		size_t from = (size_t)(space - arena) / 8 * 8;

		ASAN_UNPOISON_MEMORY_REGION(space, size);
		memcpy(arena + from, guards + from, (size_t)(space - arena) - from);
	}
#else
	memcpy(arena + at, guards + at, model.size);
	memcpy(expect + at, guards + at, model.size);
#endif
	if (size) {
		memset(space, fill, size);
		memset(expect + (space - arena), fill, size);
	}
}

/*
 * The part of the arena check_all() compares: all of it, or under ASan only
 * the space and the guard bytes before it in its first 8-byte granule.
 */
static void arena_checked(size_t *from, size_t *to)
{
#ifdef SEND_OPS_ASAN
	size_t at = model.space ? (size_t)(model.space - arena) : 0;

	*from = model.size ? at / 8 * 8 : 0;
	*to = model.size ? at + model.size : 0;
#else
	*from = 0;
	*to = sizeof(arena);
#endif
}

/* The bytes push must have written for @e: its header, payload and zero padding. */
FUZZ_NO_COVERAGE static void expect_message(const struct model_msg *e)
{
	unsigned char *p = expect + (model.base - arena) + e->at;
	struct cmsghdr h;

	memset(p, 0, CMSG_SPACE(e->len));
	memset(&h, 0, sizeof(h));
	h.cmsg_len = CMSG_LEN(e->len);
	h.cmsg_level = e->level;
	h.cmsg_type = e->type;
	memcpy(p, &h, sizeof(h));
	if (e->len)
		memcpy(p + CMSG_LEN(0), model.payload + e->at, e->len);
}

/* What the arena's byte at @at is for. */
FUZZ_NO_COVERAGE static const char *region(size_t at)
{
	size_t space_at = model.space ? (size_t)(model.space - arena) : 0;
	size_t base_at = model.base ? (size_t)(model.base - arena) : 0;

	if (!model.space || at < space_at || at >= space_at + model.size)
		return "a guard byte outside the space";
	if (model.base && at >= base_at && at < base_at + model.len)
		return "a byte of a message pushed";
	return "a byte of the space no message holds";
}

/* Bytes [@from, @to) of the arena are what expect[] says. */
FUZZ_NO_COVERAGE static void check_bytes(size_t opno, const char *what, size_t from, size_t to)
{
	size_t at = first_difference(arena, expect, from, to);

	if (at != to)
		fuzz_fail("op %zu (%s): arena byte %zu is 0x%02x, expected 0x%02x: %s", opno, what, at,
			  arena[at], expect[at], region(at));
}

/*
 * The libc's walk and cmsgbuf's both visit exactly the model's messages:
 * those after the walked.n already checked (all of them when walked.n is 0),
 * and nothing after.
 */
FUZZ_NO_COVERAGE static void check_walks(void)
{
	unsigned char *control = cmsgbuf_send_control(&buf);
	size_t controllen = cmsgbuf_send_controllen(&buf);
	struct msghdr mh;
	struct cmsghdr *h;
	const struct cmsghdr *w;

	if (model.n < walked.n || model.n == 0)
		walked.n = 0;
	memset(&mh, 0, sizeof(mh));
	mh.msg_control = control;
	mh.msg_controllen = controllen;
	h = walked.n ? fuzz_libc_nxthdr(&mh, walked.libc) : CMSG_FIRSTHDR(&mh);
	w = walked.n ? cmsgbuf_next(control, controllen, walked.ours) : cmsgbuf_first(control, controllen);
	for (size_t i = walked.n; i < model.n; i++) {
		const struct model_msg *e = &model.msg[i];

		fuzz_assert(h == (void *)(model.base + e->at), "libc walk: message %zu of %zu at %p, "
			    "expected at offset %zu", i, model.n, (void *)h, e->at);
		fuzz_assert(h->cmsg_level == e->level && h->cmsg_type == e->type,
			    "message %zu: level %d type %d, expected %d %d", i, h->cmsg_level,
			    h->cmsg_type, e->level, e->type);
		fuzz_assert(h->cmsg_len == CMSG_LEN(e->len), "message %zu: cmsg_len %zu, expected %zu",
			    i, (size_t)h->cmsg_len, (size_t)CMSG_LEN(e->len));
		fuzz_assert(e->len == 0 || memcmp(CMSG_DATA(h), model.payload + e->at, e->len) == 0,
			    "message %zu: payload differs from what was pushed", i);
		fuzz_assert(w == h, "cmsgbuf walk: message %zu at %p, libc walk at %p", i,
			    (const void *)w, (void *)h);
		fuzz_assert(fuzz_padding_zero(model.base + e->at, CMSG_LEN(e->len)),
			    "message %zu: a padding byte is not zero", i);
		walked.libc = h;
		walked.ours = w;
		h = fuzz_libc_nxthdr(&mh, h);
		w = cmsgbuf_next(control, controllen, w);
	}
	walked.n = model.n;
	fuzz_assert(!h && !w, "a walk finds more than the %zu messages pushed", model.n);
}

/*
 * After operation @opno: its answer, the bytes from where the buffer ended
 * before it (less one alignment unit) to where it ends now or where the
 * @tried bytes it asked for would have ended, the new messages and the
 * walks over them.
 */
FUZZ_NO_COVERAGE static void check_op(size_t opno, enum op op, bool ok, int err, int want, size_t old_len, size_t old_n,
		     size_t tried)
{
	unsigned char *control = cmsgbuf_send_control(&buf);
	enum cmsgbuf_defect d;

	if (want)
		fuzz_assert(!ok && err == want, "op %zu (%s): expected failure with %s, got %s (%s)",
			    opno, op_names[op], strerror(want), ok ? "success" : "failure", strerror(err));
	else
		fuzz_assert(ok, "op %zu (%s): expected success, failed with %s", opno, op_names[op],
			    strerror(err));
	fuzz_assert(cmsgbuf_send_controllen(&buf) == model.len, "op %zu (%s): controllen %zu, "
		    "expected %zu", opno, op_names[op], cmsgbuf_send_controllen(&buf), model.len);
	fuzz_assert(control == (model.len ? model.base : NULL), "op %zu (%s): control %p, expected %p",
		    opno, op_names[op], (void *)control, (void *)(model.len ? model.base : NULL));
	if (op != OP_INIT && op != OP_CLEAR && model.base) {
		size_t base_at = (size_t)(model.base - arena), end = old_len + tried;
		size_t from = old_len < CMSG_ALIGN(1) ? 0 : old_len - CMSG_ALIGN(1);

		for (size_t i = old_n; i < model.n; i++)
			expect_message(&model.msg[i]);
		end = tried > model.cap || end > model.cap ? model.cap : end;
		end = end < model.len ? model.len : end;
		check_bytes(opno, op_names[op], base_at + from, base_at + end);
	}
	if (op != OP_INIT && op != OP_CLEAR && model.len > old_len) {
		d = cmsgbuf_check(model.base + old_len, model.len - old_len);
		fuzz_assert(d == CMSGBUF_WELL_FORMED, "op %zu (%s): cmsgbuf_check of the new messages: %s",
			    opno, op_names[op], cmsgbuf_defect_str(d));
	}
	check_walks();
}

/* Everything: every byte of the arena, the whole buffer's check, both walks from the start. */
FUZZ_NO_COVERAGE static void check_all(size_t opno, const char *when)
{
	unsigned char *control = cmsgbuf_send_control(&buf);
	enum cmsgbuf_defect d;
	size_t from, to;

	arena_checked(&from, &to);
	check_bytes(opno, when, from, to);
	d = cmsgbuf_check(control, model.len);
	if (d != CMSGBUF_WELL_FORMED)
		fuzz_hexdump("control", control, model.len);
	fuzz_assert(d == CMSGBUF_WELL_FORMED, "op %zu (%s): cmsgbuf_check: %s", opno, when,
		    cmsgbuf_defect_str(d));
	walked.n = 0;
	check_walks();
}

/*
 * The payloads of one operation. Under ASan they lie in a static pool, each
 * between poisoned bytes, and all are poisoned again once the operation is
 * done: a read one byte outside, or after the operation, is reported as with
 * malloc(), without its cost (a stack trace per block). Elsewhere (valgrind)
 * they are blocks of exactly their size from malloc().
 */
#ifdef SEND_OPS_ASAN
#define REDZONE 16
static alignas(16) unsigned char pool[8 * (2048 + 2 * REDZONE) + REDZONE];
static size_t pool_used = REDZONE;

FUZZ_NO_COVERAGE static void *payload_alloc(size_t n)
{
	unsigned char *p = pool + pool_used;

	static bool poisoned;

	if (!poisoned) {
		ASAN_POISON_MEMORY_REGION(pool, sizeof(pool));
		poisoned = true;
	}
	if (n > sizeof(pool) - pool_used - REDZONE)
		abort();
	ASAN_UNPOISON_MEMORY_REGION(p, n);
	pool_used += (n + REDZONE - 1) / REDZONE * REDZONE + REDZONE;
	return p;
}

FUZZ_NO_COVERAGE static void payloads_release(void)
{
	ASAN_POISON_MEMORY_REGION(pool, pool_used);
	pool_used = REDZONE;
}
#else
static void *blocks[8];
static size_t nblocks;

FUZZ_NO_COVERAGE static void *payload_alloc(size_t n)
{
	if (nblocks == sizeof(blocks) / sizeof(blocks[0]))
		abort();
	return blocks[nblocks++] = fuzz_alloc(n);
}

FUZZ_NO_COVERAGE static void payloads_release(void)
{
	while (nblocks)
		free(blocks[--nblocks]);
}
#endif

/* The next @n bytes of the input in a payload of exactly @n bytes; NULL when @n is 0. */
FUZZ_NO_COVERAGE static unsigned char *payload_bytes(struct fuzz_input *in, size_t n)
{
	unsigned char *p = n ? payload_alloc(n) : NULL;

	if (n)
		fuzz_take(in, p, n);
	return p;
}

/*
 * The message the value constructor of (@level, @type) makes of @v (its low
 * bytes, as the constructor's type takes them) or of @block (the packet-info
 * ones); *twin is the same message as cmsgbuf_raw() makes it from @raw, which
 * holds the bytes the kernel is to get. false when no constructor makes the kind.
 */
static bool construct(int level, int type, uint64_t v, const void *block, struct cmsgbuf_msg *m,
		      struct cmsgbuf_msg *twin, unsigned char raw[8])
{
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;
	int i = (int)u32;

	if (level == IPPROTO_IP && type == IP_PKTINFO) {
		*m = cmsgbuf_ip_pktinfo(block);
		*twin = cmsgbuf_raw(level, type, block, sizeof(struct in_pktinfo));
		return true;
	}
	if (level == IPPROTO_IPV6 && type == IPV6_PKTINFO) {
		*m = cmsgbuf_ipv6_pktinfo(block);
		*twin = cmsgbuf_raw(level, type, block, sizeof(struct in6_pktinfo));
		return true;
	}
	memcpy(raw, &v, 8);
	if (level == SOL_UDP && type == UDP_SEGMENT) {
		*m = cmsgbuf_udp_segment(u16);
		memcpy(raw, &u16, sizeof(u16));
		*twin = cmsgbuf_raw(level, type, raw, sizeof(u16));
		return true;
	}
	if (level == SOL_SOCKET && type == SCM_TXTIME) {
		*m = cmsgbuf_txtime(v);
		*twin = cmsgbuf_raw(level, type, raw, sizeof(v));
		return true;
	}
	memcpy(raw, &u32, sizeof(u32));
	*twin = cmsgbuf_raw(level, type, raw, sizeof(u32));
	if (level == IPPROTO_IP && type == IP_TOS)
		*m = cmsgbuf_ip_tos(i);
	else if (level == IPPROTO_IP && type == IP_TTL)
		*m = cmsgbuf_ip_ttl(i);
	else if (level == IPPROTO_IPV6 && type == IPV6_TCLASS)
		*m = cmsgbuf_ipv6_tclass(i);
	else if (level == IPPROTO_IPV6 && type == IPV6_HOPLIMIT)
		*m = cmsgbuf_ipv6_hoplimit(i);
	else if (level == IPPROTO_IPV6 && type == IPV6_DONTFRAG)
		*m = cmsgbuf_ipv6_dontfrag(i);
	else if (level == SOL_SOCKET && type == SO_MARK)
		*m = cmsgbuf_mark(u32);
	else if (level == SOL_SOCKET && type == SO_PRIORITY)
		*m = cmsgbuf_priority(u32);
	else if (level == SOL_SOCKET && type == SO_TIMESTAMPING_OLD)
		*m = cmsgbuf_tx_timestamping(u32);
	else if (level == SOL_SOCKET && type == SCM_TS_OPT_ID)
		*m = cmsgbuf_ts_opt_id(u32);
	else
		return false;
	return true;
}

/*
 * A RAW message with bit 3 of its mode: a constructor's, checked against its
 * raw twin (the fields and the payload bytes), or, for a kind no constructor
 * makes, one filled in by hand that holds up to 15 bytes (push refuses more
 * than 8).
 */
static struct cmsgbuf_msg decode_typed(struct fuzz_input *in, int level, int type, void **owned)
{
	struct cmsgbuf_msg m, twin;
	unsigned char raw[8], *block;
	uint64_t v = (uint64_t)fuzz_u32(in);

	v |= (uint64_t)fuzz_u32(in) << 32;
	/* exactly the struct's size, so that ASan sees a read past it */
	block = payload_bytes(in, (level == IPPROTO_IP && type == IP_PKTINFO) ? sizeof(struct in_pktinfo) :
			       (level == IPPROTO_IPV6 && type == IPV6_PKTINFO) ? sizeof(struct in6_pktinfo) : 0);
	*owned = block;
	if (construct(level, type, v, block, &m, &twin, raw)) {
		fuzz_assert(m.level == twin.level && m.type == twin.type && m.len == twin.len && !m.unchecked,
			    "constructor of (%d, %d): level %d type %d len %zu, expected %d %d %zu", level,
			    type, m.level, m.type, m.len, twin.level, twin.type, twin.len);
		fuzz_assert(memcmp(payload_of(&m), twin.data, m.len) == 0,
			    "constructor of (%d, %d): its payload is not the value's bytes", level, type);
		return m;
	}
	memset(&m, 0, sizeof(m));
	m.level = level;
	m.type = type;
	m.len = fuzz_u8(in) % 16;
	m.held = true;
	memcpy(m.value, &v, sizeof(m.value));
	return m;
}

/* One message for RIGHTS (0), CREDS (1) or RAW (2); *owned is its payload. */
FUZZ_NO_COVERAGE static struct cmsgbuf_msg decode_msg(struct fuzz_input *in, unsigned int kind, void **owned)
{
	unsigned int sel, mode;
	bool unchecked;
	size_t len;
	int level, type;

	if (kind == 0) {
		size_t n = fuzz_u16(in) % 300;
		int *fds = n ? payload_alloc(n * sizeof(int)) : NULL;
		int8_t bytes[300];

		fuzz_take(in, bytes, n);
		for (size_t i = 0; i < n; i++)
			fds[i] = bytes[i];
		*owned = fds;
		return cmsgbuf_rights(fds, n);
	}
	if (kind == 1) {
		struct cmsgbuf_ucred *c = payload_alloc(sizeof(*c));

		c->pid = (pid_t)fuzz_u32(in);
		c->uid = (uid_t)fuzz_u32(in);
		c->gid = (gid_t)fuzz_u32(in);
		*owned = c;
		return cmsgbuf_credentials(c);
	}
	sel = fuzz_u8(in);
	level = sel < NAMED ? named[sel].level : fuzz_i32(in);
	type = sel < NAMED ? named[sel].type : fuzz_i32(in);
	mode = fuzz_u8(in);
	if (mode & 8)
		return decode_typed(in, level, type, owned);
	unchecked = mode & 4;
	mode %= 4;
	if (mode == 3) {
		unsigned int pick = fuzz_u8(in);

		len = huge[pick % (sizeof(huge) / sizeof(huge[0]))];
		*owned = NULL;
		if (!(pick & 0x80)) {
			unsigned char *head = payload_alloc(4);

			memset(head, 0, 4);
			head[0] = fuzz_u8(in);
			*owned = head;
		}
	} else {
		len = fuzz_u16(in) % 2048;
		*owned = mode == 2 ? NULL : payload_bytes(in, len);
	}
	return unchecked ? cmsgbuf_unchecked(level, type, *owned, len) : cmsgbuf_raw(level, type, *owned, len);
}

FUZZ_NO_COVERAGE static void do_init(struct fuzz_input *in)
{
	unsigned int flags = fuzz_u8(in);
	size_t size = fuzz_u16(in) % (MAX_SIZE + 1);
	unsigned char *space = arena + GUARD + fuzz_u8(in) % (MAX_OFFSET + 1);

	if (flags & 3) {
		space = NULL;
		size = 0;
	}
	set_space(space, size, fuzz_u8(in));
	model_init(&model, space, size);
	if (flags & 2)
		buf = (struct cmsgbuf_send)CMSGBUF_SEND_EMPTY;
	else
		cmsgbuf_send_init(&buf, space, size);
}

/* CMSG_SPACE() of @m's length, or SIZE_MAX when that would exceed what any space holds. */
static size_t space_of(const struct cmsgbuf_msg *m)
{
	return m->len > MAX_SIZE ? SIZE_MAX : CMSG_SPACE(m->len);
}

/*
 * Runs one operation on buf and on the model: *ok and *err are what cmsgbuf
 * answered, *tried the bytes its messages would take (SIZE_MAX: more than
 * any space); returns the errno the model expects (0: success).
 */
FUZZ_NO_COVERAGE static int run_op(struct fuzz_input *in, enum op op, bool *ok, int *err, size_t *tried)
{
	struct cmsgbuf_msg msgs[8];
	void *owned[8] = { NULL };
	unsigned char saved[offsetof(struct model, msg)];
	size_t n = 0;
	int want = 0;

	switch (op) {
	case OP_INIT:
		do_init(in);
		return 0;
	case OP_CLEAR:
		cmsgbuf_send_clear(&buf);
		model.n = 0;
		model.len = 0;
		return 0;
	case OP_RIGHTS:
	case OP_CREDS:
	case OP_RAW:
		msgs[0] = decode_msg(in, op - OP_RIGHTS, &owned[0]);
		*tried = space_of(&msgs[0]);
		want = verdict(&model, &msgs[0]);
		errno = 0;
		*ok = cmsgbuf_send_push(&buf, msgs[0]);
		*err = errno;
		if (!want)
			model_append(&model, &msgs[0]);
		break;
	case OP_EXTEND:
		n = fuzz_u8(in);
		if (n == 0xff) {
			errno = 0;
			*ok = cmsgbuf_send_extend(&buf, NULL, 1);
			*err = errno;
			return EINVAL;
		}
		n %= 9;
		for (size_t i = 0; i < n; i++) {
			msgs[i] = decode_msg(in, fuzz_u8(in) % 3, &owned[i]);
			*tried = space_of(&msgs[i]) > SIZE_MAX - *tried ? SIZE_MAX : *tried + space_of(&msgs[i]);
		}
		/*
		 * All or nothing: the batch joins the model, which a refusal
		 * takes back to what it was (the arrays' new entries are then
		 * past their used part).
		 */
		memcpy(saved, &model, sizeof(saved));
		for (size_t i = 0; i < n && !want; i++) {
			want = verdict(&model, &msgs[i]);
			if (!want)
				model_append(&model, &msgs[i]);
		}
		errno = 0;
		*ok = cmsgbuf_send_extend(&buf, n ? msgs : NULL, n);
		*err = errno;
		if (want)
			memcpy(&model, saved, sizeof(saved));
		break;
	case OP_COUNT:
		abort();
	}
	payloads_release();
	return want;
}

FUZZ_NO_COVERAGE int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	size_t opno = 0;

	if (!guards[0])
		make_guards();
	model_init(&model, NULL, 0);
	buf = (struct cmsgbuf_send)CMSGBUF_SEND_EMPTY;
	walked.n = 0;
	for (; opno < MAX_OPS && !fuzz_done(&in); opno++) {
		enum op op = (enum op)(fuzz_u8(&in) % OP_COUNT);
		size_t old_len = model.len, old_n = model.n, tried = 0;
		bool ok = true;
		int want, err = 0;

		/* Init lays the space anew: first, everything the ops before it did. */
		if (op == OP_INIT)
			check_all(opno, "before init");
		want = run_op(&in, op, &ok, &err, &tried);
		check_op(opno, op, ok, err, want, old_len, old_n, tried);
	}
	check_all(opno, "at the end");
	set_space(NULL, 0, 0);
	model_init(&model, NULL, 0);
	return 0;
}
