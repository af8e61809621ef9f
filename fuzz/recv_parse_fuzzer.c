/*
 * recv_parse_fuzzer: cmsgbuf_recv_adopt() takes arbitrary bytes as received
 * control data, and draining them never reads outside them, yields every
 * message the walk accepts exactly once (the last clamped to the bytes there
 * when its cmsg_len runs past them), always ends, and closes exactly the fds
 * not handed out: each once, and no other.
 *
 * Descriptors: every whole int in the payload of an fd-carrying message
 * (SCM_RIGHTS, SCM_PIDFD) is overwritten, before adopt, with an fd this
 * fuzzer opened for it, so the library is only ever given fds it may close;
 * no close hook in the library. The fd numbers in the input are ignored.
 *
 * The input: one byte, whose low 7 bits are how many messages to take before
 * clearing (127: all) and whose high bit is MSG_CTRUNC in msg_flags, then the
 * control bytes, in a heap block of exactly their size so that ASan reports a
 * read past the end.
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

#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* A message as the walk must find it: the oracle, written independently. */
struct expect {
	size_t off, len;	/* header offset, payload length after clamping */
	int level, type;
	bool clamped;		/* its cmsg_len ran past the end */
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

/* Overwrites each whole int of fd-carrying payloads with a fresh fd; returns how many. */
static size_t plant_fds(unsigned char *control, const struct expect *e, size_t n, int base, int *fds)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (!carries_fds(e[i].level, e[i].type))
			continue;
		for (size_t j = 0; j < e[i].len / sizeof(int); j++) {
			int fd = fcntl(base, F_DUPFD_CLOEXEC, 0);

			fuzz_assert(fd >= 0, "dup: %s", strerror(errno));
			memcpy(control + e[i].off + CMSG_LEN(0) + j * sizeof(int), &fd, sizeof(fd));
			fds[k++] = fd;
		}
	}
	return k;
}

/* The yielded @m is @e, read in place; takes and closes its fds. */
static void take(const struct cmsgbuf_msg *m, const struct expect *e, const unsigned char *control,
		 size_t i, bool one_call)
{
	size_t n = e->len / sizeof(int);

	fuzz_assert(m->level == e->level && m->type == e->type && m->len == e->len &&
		    m->data == control + e->off + CMSG_LEN(0),
		    "message %zu: (%d, %d, %zu bytes at +%td), expected (%d, %d, %zu bytes at +%zu)", i,
		    m->level, m->type, m->len, (const unsigned char *)m->data - control, e->level, e->type,
		    e->len, e->off + CMSG_LEN(0));
	if (!carries_fds(e->level, e->type)) {
		fuzz_assert(cmsgbuf_msg_fds(m, NULL, 0) == 0, "message %zu carries no fd, yet counts some", i);
		return;
	}
	fuzz_assert(cmsgbuf_msg_fds(m, NULL, 0) == n, "message %zu: %zu fds, expected %zu", i,
		    cmsgbuf_msg_fds(m, NULL, 0), n);
	if (one_call) {
		cmsgbuf_msg_close_fds(m);
	} else if (n) {
		int *got = fuzz_alloc(n * sizeof(int));

		fuzz_assert(cmsgbuf_msg_fds(m, got, n) == n, "message %zu: fds not copied", i);
		for (size_t j = 0; j < n; j++)
			fuzz_assert(close(got[j]) == 0, "fd %d handed out, but closed already", got[j]);
		free(got);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t len = size ? size - 1 : 0, stop = size ? data[0] & 0x7f : 127;
	unsigned char *control = fuzz_alloc(len ? len : 1);
	struct expect *e = fuzz_alloc((len / CMSG_LEN(0) + 1) * sizeof(*e));
	int *fds = fuzz_alloc((len / sizeof(int) + 1) * sizeof(int));
	int base = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m;
	struct msghdr mh;
	size_t n, nfds, i = 0;

	fuzz_assert(base >= 0, "open /dev/null: %s", strerror(errno));
	if (len)
		memcpy(control, data + 1, len);
	n = expected(control, len, e);
	nfds = plant_fds(control, e, n, base, fds);
	/* The walker accepts them all but a clamped last one, which it stops at. */
	for (const struct cmsghdr *h = cmsgbuf_first(control, len); h; h = cmsgbuf_next(control, len, h), i++)
		fuzz_assert(i < n && (const unsigned char *)h == control + e[i].off && !e[i].clamped,
			    "the walker's header %zu is not the one expected", i);
	fuzz_assert(i == n || (i == n - 1 && e[i].clamped), "the walker found %zu of %zu messages", i, n);
	i = 0;

	memset(&mh, 0, sizeof(mh));
	mh.msg_control = len ? control : NULL;
	mh.msg_controllen = len;
	mh.msg_flags = size && data[0] & 0x80 ? MSG_CTRUNC : 0;
	fuzz_assert(cmsgbuf_recv_adopt(&b, &mh), "adopt refused an aligned buffer");
	fuzz_assert(cmsgbuf_recv_truncated(&b) == (mh.msg_flags != 0), "MSG_CTRUNC not reported as it was");
	for (; (stop == 127 || i < stop) && cmsgbuf_recv_next(&b, &m); i++) {
		fuzz_assert(i < n, "more than the %zu messages expected", n);
		take(&m, &e[i], control, i, i % 2);
	}
	if (stop == 127)
		fuzz_assert(i == n, "%zu messages yielded, %zu expected", i, n);
	cmsgbuf_recv_clear(&b);
	fuzz_assert(!cmsgbuf_recv_next(&b, &m), "a message after clear");

	for (size_t j = 0; j < nfds; j++)
		fuzz_assert(fcntl(fds[j], F_GETFD) == -1 && errno == EBADF, "fd %d left open", fds[j]);
	fuzz_assert(fcntl(base, F_GETFD) != -1, "the library closed an fd it did not own");
	close(base);
	free(fds);
	free(e);
	free(control);
	return 0;
}
