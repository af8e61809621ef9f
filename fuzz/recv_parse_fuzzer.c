/*
 * recv_parse_fuzzer: cmsgbuf_recv_adopt() takes arbitrary bytes as received
 * control data, and a script of calls (next, take, clear, adopt again, find,
 * credentials, count, read) runs on the buffer. After every call the fuzzer checks
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
 * The typed readers (cmsgbuf_msg_ip_pktinfo() and the others): a read hands
 * the last message yielded or found to the reader the argument names, with
 * an output of exactly the reader's size between guards, filled with a
 * pattern. The model's own table of the kernel's (level, type, payload size)
 * says whether it must be taken; if so, the output is the payload (the
 * timestamps converted by the model's arithmetic), else the reader returns
 * false with EINVAL and the output is still the pattern.
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
#include <netinet/in.h>
#include <netinet/udp.h>

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
/* asm-generic/socket.h's and linux/udp.h's, for libc headers that lack them */
#ifndef SO_TIMESTAMP_OLD
#define SO_TIMESTAMP_OLD 29
#define SO_TIMESTAMPNS_OLD 35
#define SO_TIMESTAMPING_OLD 37
#endif
#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#define SO_TIMESTAMPNS_NEW 64
#define SO_TIMESTAMPING_NEW 65
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

enum { NEXT, TAKE, CLEAR, ADOPT, FIND, CREDENTIALS, NFDS, READ };

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

/* A heap block of @n bytes between guards that ASan poisons, all of it a pattern. */
FUZZ_NO_COVERAGE static unsigned char *guarded(size_t n)
{
	unsigned char *block = fuzz_alloc(2 * GUARD + n);

	memset(block, 0xa5, 2 * GUARD + n);
	ASAN_POISON_MEMORY_REGION(block, GUARD);
	ASAN_POISON_MEMORY_REGION(block + GUARD + n, GUARD);
	return block + GUARD;
}

/* Are the @n bytes at @p, @n > 0, all the pattern? (Each is the one after it, and the last is 0xa5.) */
FUZZ_NO_COVERAGE static bool is_pattern(const unsigned char *p, size_t n)
{
	return p[n - 1] == 0xa5 && memcmp(p, p + 1, n - 1) == 0;
}

/* Unpoisons @p, from guarded(@n): are the guards, and with @untouched all of it, still the pattern? */
FUZZ_NO_COVERAGE static bool unguard(unsigned char *p, size_t n, bool untouched)
{
	unsigned char *block = p - GUARD;

	ASAN_UNPOISON_MEMORY_REGION(block, 2 * GUARD + n);
	if (untouched)
		return is_pattern(block, 2 * GUARD + n);
	return is_pattern(block, GUARD) && is_pattern(p + n, GUARD);
}

/* cmsgbuf_recv_take_fds() of the last message into exactly @max ints between poisoned guards. */
static void take(struct model *s, unsigned arg)
{
	size_t own = s->has_last && s->holds ? owned_in(s, s->last_i) : 0;
	size_t max = own + arg % 5 >= 2 ? own + arg % 5 - 2 : 0;
	size_t bytes = max * sizeof(int);
	unsigned char *block;
	int *out;
	bool refused = !s->holds || own > max, intact;
	ssize_t r;

	if (!s->has_last)
		return;
	block = guarded(bytes);
	out = (int *)(void *)block;
	errno = 0;
	r = cmsgbuf_recv_take_fds(&s->b, &s->last, out, max);
	intact = unguard(block, bytes, refused);
	if (refused) {
		fuzz_assert(r == -1 && errno == (s->holds ? ENOSPC : EINVAL),
			    "take of %zu fds into %zu (buffer %s): %zd, errno %d", own, max,
			    s->holds ? "holding" : "cleared", r, errno);
		fuzz_assert(intact, "a refused take wrote into the array or past it");
		free(block - GUARD);
		return;
	}
	fuzz_assert(intact, "take wrote outside the %zu ints it was given", max);
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
	free(block - GUARD);
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

/*
 * The readers, each behind a wrapper of one signature: @out is the reader's
 * output (OUT_SIZE bytes), @offender the recverr readers' second one, or
 * NULL.
 */
enum reader {
	IP_PKTINFO_R, IPV6_PKTINFO_R, IP_TOS_R, IPV6_TCLASS_R, IP_TTL_R, IPV6_HOPLIMIT_R, UDP_GRO_R,
	TIMESTAMP_R, TIMESTAMPING_R, IP_RECVERR_R, IPV6_RECVERR_R, RXQ_OVFL_R, IP_ORIGDSTADDR_R,
	IPV6_ORIGDSTADDR_R, NREADERS
};

#define ONE_OUTPUT(reader, call) \
	static bool reader(const struct cmsgbuf_msg *m, void *out, void *offender) \
	{ \
		(void)offender; \
		return call(m, out); \
	}
ONE_OUTPUT(ip_pktinfo, cmsgbuf_msg_ip_pktinfo)
ONE_OUTPUT(ipv6_pktinfo, cmsgbuf_msg_ipv6_pktinfo)
ONE_OUTPUT(ip_tos, cmsgbuf_msg_ip_tos)
ONE_OUTPUT(ipv6_tclass, cmsgbuf_msg_ipv6_tclass)
ONE_OUTPUT(ip_ttl, cmsgbuf_msg_ip_ttl)
ONE_OUTPUT(ipv6_hoplimit, cmsgbuf_msg_ipv6_hoplimit)
ONE_OUTPUT(udp_gro, cmsgbuf_msg_udp_gro)
ONE_OUTPUT(timestamp, cmsgbuf_msg_timestamp)
ONE_OUTPUT(timestamping, cmsgbuf_msg_timestamping)
ONE_OUTPUT(rxq_ovfl, cmsgbuf_msg_rxq_ovfl)
ONE_OUTPUT(ip_origdstaddr, cmsgbuf_msg_ip_origdstaddr)
ONE_OUTPUT(ipv6_origdstaddr, cmsgbuf_msg_ipv6_origdstaddr)

static bool ip_recverr(const struct cmsgbuf_msg *m, void *ee, void *offender)
{
	return cmsgbuf_msg_ip_recverr(m, ee, offender);
}

static bool ipv6_recverr(const struct cmsgbuf_msg *m, void *ee, void *offender)
{
	return cmsgbuf_msg_ipv6_recverr(m, ee, offender);
}

/* How a reader's output relates to the payload it took. */
enum shape {
	COPY,		/* the payload, byte for byte */
	BYTE,		/* an int holding the payload's one byte */
	RECVERR,	/* the error (16 bytes) in @out, the rest in @offender */
	STAMPS,		/* struct cmsgbuf_timespec per (seconds, fraction) pair */
};

static const struct {
	const char *name;
	bool (*read)(const struct cmsgbuf_msg *m, void *out, void *offender);
	size_t out_size, offender_size;
	enum shape shape;
} readers[NREADERS] = {
	[IP_PKTINFO_R] = { "ip_pktinfo", ip_pktinfo, sizeof(struct cmsgbuf_in_pktinfo), 0, COPY },
	[IPV6_PKTINFO_R] = { "ipv6_pktinfo", ipv6_pktinfo, sizeof(struct cmsgbuf_in6_pktinfo), 0, COPY },
	[IP_TOS_R] = { "ip_tos", ip_tos, sizeof(int), 0, BYTE },
	[IPV6_TCLASS_R] = { "ipv6_tclass", ipv6_tclass, sizeof(int), 0, COPY },
	[IP_TTL_R] = { "ip_ttl", ip_ttl, sizeof(int), 0, COPY },
	[IPV6_HOPLIMIT_R] = { "ipv6_hoplimit", ipv6_hoplimit, sizeof(int), 0, COPY },
	[UDP_GRO_R] = { "udp_gro", udp_gro, sizeof(int), 0, COPY },
	[TIMESTAMP_R] = { "timestamp", timestamp, sizeof(struct cmsgbuf_timespec), 0, STAMPS },
	[TIMESTAMPING_R] = { "timestamping", timestamping, 3 * sizeof(struct cmsgbuf_timespec), 0, STAMPS },
	[IP_RECVERR_R] = { "ip_recverr", ip_recverr, sizeof(struct cmsgbuf_sock_extended_err),
			   sizeof(struct sockaddr_in), RECVERR },
	[IPV6_RECVERR_R] = { "ipv6_recverr", ipv6_recverr, sizeof(struct cmsgbuf_sock_extended_err),
			     sizeof(struct sockaddr_in6), RECVERR },
	[RXQ_OVFL_R] = { "rxq_ovfl", rxq_ovfl, sizeof(uint32_t), 0, COPY },
	[IP_ORIGDSTADDR_R] = { "ip_origdstaddr", ip_origdstaddr, sizeof(struct sockaddr_in), 0, COPY },
	[IPV6_ORIGDSTADDR_R] = { "ipv6_origdstaddr", ipv6_origdstaddr, sizeof(struct sockaddr_in6), 0, COPY },
};

/*
 * The kernel's long (__kernel_long_t), of which the _OLD timestamps are made:
 * the C long, but on x32, where it is 8 bytes.
 */
#if defined(__x86_64__) && defined(__ILP32__)
#define KERNEL_LONG 8
#else
#define KERNEL_LONG sizeof(long)
#endif
/* struct sock_extended_err: a u32, four u8 and two u32 (linux/errqueue.h) */
#define SOCK_EXTENDED_ERR 16

/*
 * The model: each message the kernel sends that a reader takes, with its
 * exact payload size (put_cmsg() in net/ipv4/ip_sockglue.c, net/ipv6/
 * datagram.c, net/ipv4/udp.c and net/socket.c); for a timestamp, the width
 * of each number and how many fractions make a second.
 */
static const struct kind {
	enum reader reader;
	int level, type;
	size_t size;
	size_t width;
	int64_t per_second;
} kinds[] = {
	{ .reader = IP_PKTINFO_R, .level = IPPROTO_IP, .type = IP_PKTINFO, .size = sizeof(struct in_pktinfo) },
	{ .reader = IPV6_PKTINFO_R, .level = IPPROTO_IPV6, .type = IPV6_PKTINFO, .size = sizeof(struct in6_pktinfo) },
	{ .reader = IP_TOS_R, .level = IPPROTO_IP, .type = IP_TOS, .size = 1 },
	{ .reader = IPV6_TCLASS_R, .level = IPPROTO_IPV6, .type = IPV6_TCLASS, .size = sizeof(int) },
	{ .reader = IP_TTL_R, .level = IPPROTO_IP, .type = IP_TTL, .size = sizeof(int) },
	{ .reader = IPV6_HOPLIMIT_R, .level = IPPROTO_IPV6, .type = IPV6_HOPLIMIT, .size = sizeof(int) },
	{ .reader = UDP_GRO_R, .level = IPPROTO_UDP, .type = UDP_GRO, .size = sizeof(int) },
	{ .reader = TIMESTAMP_R, .level = SOL_SOCKET, .type = SO_TIMESTAMP_OLD, .size = 2 * KERNEL_LONG,
	  .width = KERNEL_LONG, .per_second = 1000000 },
	{ .reader = TIMESTAMP_R, .level = SOL_SOCKET, .type = SO_TIMESTAMP_NEW, .size = 16, .width = 8,
	  .per_second = 1000000 },
	{ .reader = TIMESTAMP_R, .level = SOL_SOCKET, .type = SO_TIMESTAMPNS_OLD, .size = 2 * KERNEL_LONG,
	  .width = KERNEL_LONG, .per_second = 1000000000 },
	{ .reader = TIMESTAMP_R, .level = SOL_SOCKET, .type = SO_TIMESTAMPNS_NEW, .size = 16, .width = 8,
	  .per_second = 1000000000 },
	{ .reader = TIMESTAMPING_R, .level = SOL_SOCKET, .type = SO_TIMESTAMPING_OLD, .size = 6 * KERNEL_LONG,
	  .width = KERNEL_LONG, .per_second = 1000000000 },
	{ .reader = TIMESTAMPING_R, .level = SOL_SOCKET, .type = SO_TIMESTAMPING_NEW, .size = 48, .width = 8,
	  .per_second = 1000000000 },
	{ .reader = IP_RECVERR_R, .level = IPPROTO_IP, .type = IP_RECVERR,
	  .size = SOCK_EXTENDED_ERR + sizeof(struct sockaddr_in) },
	{ .reader = IPV6_RECVERR_R, .level = IPPROTO_IPV6, .type = IPV6_RECVERR,
	  .size = SOCK_EXTENDED_ERR + sizeof(struct sockaddr_in6) },
	{ .reader = RXQ_OVFL_R, .level = SOL_SOCKET, .type = SO_RXQ_OVFL, .size = 4 },
	{ .reader = IP_ORIGDSTADDR_R, .level = IPPROTO_IP, .type = IP_ORIGDSTADDR, .size = sizeof(struct sockaddr_in) },
	{ .reader = IPV6_ORIGDSTADDR_R, .level = IPPROTO_IPV6, .type = IPV6_ORIGDSTADDR,
	  .size = sizeof(struct sockaddr_in6) },
};

/* The kind @r takes that @e is, or NULL. */
FUZZ_NO_COVERAGE static const struct kind *kind_of(enum reader r, const struct expect *e)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].reader == r && kinds[i].level == e->level && kinds[i].type == e->type &&
		    kinds[i].size == e->len)
			return &kinds[i];
	return NULL;
}

/* The signed number of @width bytes at @p, in the host's order. */
FUZZ_NO_COVERAGE static int64_t number_at(const unsigned char *p, size_t width)
{
	int32_t n32;
	int64_t n64;

	if (width == 4) {
		memcpy(&n32, p, sizeof(n32));
		return n32;
	}
	memcpy(&n64, p, sizeof(n64));
	return n64;
}

/* Are the fractions of the timestamps in @payload each 0 to a second less one? */
FUZZ_NO_COVERAGE static bool stamps_valid(const struct kind *k, const unsigned char *payload)
{
	for (size_t i = 0; i < k->size / (2 * k->width); i++) {
		int64_t fraction = number_at(payload + (2 * i + 1) * k->width, k->width);

		if (fraction < 0 || fraction >= k->per_second)
			return false;
	}
	return true;
}

/* @out, as a reader of @k took @payload. */
FUZZ_NO_COVERAGE static void check_output(const struct kind *k, enum shape shape, const unsigned char *payload,
			 const unsigned char *out, const unsigned char *offender)
{
	const char *name = readers[k->reader].name;

	switch (shape) {
	case COPY:
		fuzz_assert(memcmp(out, payload, k->size) == 0, "%s: not the payload", name);
		break;
	case BYTE: {
		int v;

		memcpy(&v, out, sizeof(v));
		fuzz_assert(v == payload[0], "%s: %d read from the byte %d", name, v, payload[0]);
		break;
	}
	case RECVERR:
		fuzz_assert(memcmp(out, payload, SOCK_EXTENDED_ERR) == 0, "%s: not the error received", name);
		fuzz_assert(!offender || memcmp(offender, payload + SOCK_EXTENDED_ERR, k->size - SOCK_EXTENDED_ERR) == 0,
			    "%s: not the offender received", name);
		break;
	case STAMPS:
		for (size_t i = 0; i < k->size / (2 * k->width); i++) {
			int64_t sec = number_at(payload + 2 * i * k->width, k->width);
			int64_t fraction = number_at(payload + (2 * i + 1) * k->width, k->width);
			int64_t nsec = k->per_second == 1000000 ? fraction * 1000 : fraction;
			struct cmsgbuf_timespec ts;

			memcpy(&ts, out + i * sizeof(ts), sizeof(ts));
			fuzz_assert(ts.tv_sec == sec && ts.tv_nsec == nsec,
				    "%s (%d): time %zu is %lld s %ld ns, received %lld s %lld of 1/%lld s", name,
				    k->type, i, (long long)ts.tv_sec, ts.tv_nsec, (long long)sec, (long long)fraction,
				    (long long)k->per_second);
		}
		break;
	}
}

/*
 * The last message given to the reader that the low 4 bits of @arg name;
 * with bit 4, a recverr reader gets a NULL offender.
 */
static void read_typed(struct model *s, unsigned arg)
{
	enum reader r = (enum reader)((arg & 15) % NREADERS);
	bool two = readers[r].shape == RECVERR && !(arg & 16);
	size_t size = readers[r].out_size, offender_size = two ? readers[r].offender_size : 0;
	const struct expect *e;
	const struct kind *k;
	const unsigned char *payload;
	unsigned char *out, *offender = NULL;
	bool want, got, intact;

	if (!s->has_last)
		return;
	e = &s->e[s->last_i];
	payload = s->control + e->off + CMSG_LEN(0);
	k = kind_of(r, e);
	want = k && (!k->per_second || stamps_valid(k, payload));
	out = guarded(size);
	if (two)
		offender = guarded(offender_size);
	errno = 0;
	got = readers[r].read(&s->last, out, offender);
	intact = unguard(out, size, !want) && (!two || unguard(offender, offender_size, !want));
	if (!want) {
		fuzz_assert(!got && errno == EINVAL, "%s took (%d, %d) of %zu bytes: %d, errno %d",
			    readers[r].name, e->level, e->type, e->len, got, errno);
		fuzz_assert(intact, "%s refused (%d, %d) of %zu bytes, but wrote", readers[r].name, e->level,
			    e->type, e->len);
	} else {
		fuzz_assert(got, "%s refused (%d, %d) of %zu bytes: errno %d", readers[r].name, e->level,
			    e->type, e->len, errno);
		fuzz_assert(intact, "%s wrote outside its output", readers[r].name);
		check_output(k, readers[r].shape, payload, out, offender);
	}
	free(out - GUARD);
	if (two)
		free(offender - GUARD);
}

static const char *const names[] = { "next", "take", "clear", "adopt", "find", "credentials", "nfds", "read" };

static void run(struct model *s, uint8_t op)
{
	unsigned arg = op >> 3;

	switch (op & 7) {
	case NEXT:
		/* with arg bit 0, the walk to its end and one step past */
		for (size_t i = 0; i <= (arg & 1 ? s->n : 0); i++)
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
		read_typed(s, arg);
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
