#ifndef CMSGBUF_FUZZ_INPUT_H
#define CMSGBUF_FUZZ_INPUT_H

/*
 * What every fuzz target shares: a reader that turns the fuzzer's bytes into
 * numbers (every input decodes; an exhausted input reads as zeros), exact-size
 * heap copies of payloads (so that ASan sees a read one byte too far), and
 * fuzz_fail(), which says what went wrong and aborts, the crash libFuzzer and
 * the replay driver both report.
 *
 * fuzz/make-corpus.py writes the seeds in the same encoding: keep the two in
 * step.
 */

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * For a target's checking code, whose branches tell the engine nothing about
 * the library: no coverage callbacks there, which cost more than the checks
 * (clang 13 on; elsewhere a no-op).
 */
#if defined(__clang__) && __clang_major__ >= 13
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))
#else
#define FUZZ_NO_COVERAGE
#endif

/*
 * For the readers below, which are hot and whose sizes are constants once
 * inlined: in the caller, so that they take its coverage setting (none in
 * send_ops_fuzzer's driver) rather than being instrumented out of line.
 */
#if defined(__GNUC__)
#define FUZZ_ALWAYS_INLINE __attribute__((always_inline))
#else
#define FUZZ_ALWAYS_INLINE
#endif

struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

static inline bool fuzz_done(const struct fuzz_input *in)
{
	return in->left == 0;
}

/*
 * Copies up to @n bytes to @dst and zero-fills what the input lacks. The
 * common case first, where @n is a constant once inlined: a plain load, not
 * a call to the sanitizer's memcpy().
 */
static inline FUZZ_ALWAYS_INLINE FUZZ_NO_COVERAGE void fuzz_take(struct fuzz_input *in, void *dst, size_t n)
{
	size_t k = in->left;

	if (n <= k) {
		if (n)
			memcpy(dst, in->p, n);
		in->p += n;
		in->left -= n;
		return;
	}
	if (k)
		memcpy(dst, in->p, k);
	memset((unsigned char *)dst + k, 0, n - k);
	in->p += k;
	in->left = 0;
}

static inline FUZZ_ALWAYS_INLINE uint8_t fuzz_u8(struct fuzz_input *in)
{
	uint8_t v;

	fuzz_take(in, &v, 1);
	return v;
}

/* Little-endian, whatever the host, so that the seeds are portable. */
static inline FUZZ_ALWAYS_INLINE uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint8_t b[2];

	fuzz_take(in, b, sizeof(b));
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline FUZZ_ALWAYS_INLINE uint32_t fuzz_u32(struct fuzz_input *in)
{
	uint8_t b[4];

	fuzz_take(in, b, sizeof(b));
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline FUZZ_ALWAYS_INLINE int32_t fuzz_i32(struct fuzz_input *in)
{
	uint32_t u = fuzz_u32(in);
	int32_t v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

static inline void *fuzz_alloc(size_t n)
{
	void *p = malloc(n);

	if (!p)
		abort();
	return p;
}

/*
 * The next @n bytes in a heap block of exactly @n bytes (zero-filled where the
 * input ends); NULL when @n is 0. The caller frees it.
 */
static inline unsigned char *fuzz_bytes(struct fuzz_input *in, size_t n)
{
	unsigned char *p;

	if (n == 0)
		return NULL;
	p = fuzz_alloc(n);
	fuzz_take(in, p, n);
	return p;
}

/*
 * Are the padding bytes of the message at @p, whose cmsg_len is @clen, all
 * zero: any inside struct cmsghdr (musl's __pad1), those up to CMSG_LEN(0),
 * and those from @clen to CMSG_ALIGN(@clen), which the caller has made sure
 * lie inside the buffer?
 */
static inline bool fuzz_padding_zero(const unsigned char *p, size_t clen)
{
	struct cmsghdr seen, clean;

	memcpy(&seen, p, sizeof(seen));
	memset(&clean, 0, sizeof(clean));
	clean.cmsg_len = seen.cmsg_len;
	clean.cmsg_level = seen.cmsg_level;
	clean.cmsg_type = seen.cmsg_type;
	if (memcmp(&clean, p, sizeof(clean)) != 0)
		return false;
	for (size_t i = sizeof(clean); i < CMSG_LEN(0); i++)
		if (p[i])
			return false;
	for (size_t i = clen; i < CMSG_ALIGN(clen); i++)
		if (p[i])
			return false;
	return true;
}

/*
 * The libc's CMSG_NXTHDR(), made to agree across libcs: musl's does not return
 * an exactly fitting header-only last message (glibc's does); this does.
 */
static inline struct cmsghdr *fuzz_libc_nxthdr(struct msghdr *mh, struct cmsghdr *h)
{
	struct cmsghdr *next = CMSG_NXTHDR(mh, h);
#ifndef __GLIBC__
	unsigned char *end = (unsigned char *)mh->msg_control + mh->msg_controllen;
	unsigned char *at = (unsigned char *)h + CMSG_ALIGN(h->cmsg_len);

	if (!next && h->cmsg_len >= CMSG_LEN(0) && (size_t)(end - (unsigned char *)h) >= CMSG_ALIGN(h->cmsg_len) &&
	    (size_t)(end - at) == CMSG_LEN(0) && ((struct cmsghdr *)(void *)at)->cmsg_len == CMSG_LEN(0))
		next = (struct cmsghdr *)(void *)at;
#endif
	return next;
}

static inline void fuzz_hexdump(const char *what, const void *p, size_t n)
{
	const unsigned char *b = p;

	fprintf(stderr, "%s (%zu bytes):", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 16 ? " " : "\n  ", b[i]);
	fputc('\n', stderr);
}

/*
 * The exit status of an input that broke an invariant under the standalone
 * replay driver (fuzz/replay.c, built with -DFUZZ_REPLAY), so that a planted
 * defect's test tells a broken invariant from any other crash. Under a
 * fuzzing engine: abort(), which the engine reports.
 */
#define FUZZ_INVARIANT_EXIT 42

#if defined(__GNUC__)
__attribute__((format(printf, 1, 2), noreturn))
#endif
static inline void fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("INVARIANT BROKEN: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
#ifdef FUZZ_REPLAY
	_exit(FUZZ_INVARIANT_EXIT);
#else
	abort();
#endif
}

#define fuzz_assert(cond, ...) \
	do { \
		if (!(cond)) \
			fuzz_fail(__VA_ARGS__); \
	} while (0)

#endif
