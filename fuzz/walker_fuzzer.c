/*
 * walker_fuzzer: cmsgbuf_first()/cmsgbuf_next() on bytes anyone may have
 * written never read outside them, always end, and agree with
 * cmsgbuf_check(); where cmsgbuf_check() accepts, the libc's walk agrees too.
 *
 * The input: one byte whose value mod 16 is how far past an aligned address
 * the buffer starts and whose value / 16 is a number of edits, then the
 * edits, 6 bytes each, then the buffer's bytes. The buffer ends where its
 * heap block does, so ASan reports a read past its end; the bytes before it
 * are poisoned as far as ASan's 8-byte granules allow.
 *
 * An edit changes the bytes in the middle of the walk, as shared memory,
 * another thread or a caller editing a header in place may: u8 step (after
 * the walk returned its step-th header, counting from 0, and before it asks
 * for the next), i8 where (from that header's start), u32 value (written
 * little-endian over the 4 bytes there, moved to lie inside the buffer).
 * Once the bytes changed, the walk is held to what each cmsgbuf_next() call
 * must return from the bytes as they are at that call.
 */

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmsgbuf.h"
#include "fuzz-input.h"

#if defined(__SANITIZE_ADDRESS__)
#define WALKER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WALKER_ASAN 1
#endif
#endif
#ifdef WALKER_ASAN
#include <sanitizer/asan_interface.h>
#else
#define ASAN_POISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#define ASAN_UNPOISON_MEMORY_REGION(p, n) ((void)(p), (void)(n))
#endif

/* What cmsgbuf_check() must say of the bytes at @off, where the walk stopped. */
static enum cmsgbuf_defect defect_at(const unsigned char *control, size_t len, size_t off)
{
	struct cmsghdr h;

	if (off == len)
		return CMSGBUF_WELL_FORMED;
	if (len - off < sizeof(h))
		return CMSGBUF_DEFECT_SHORT_HEADER;
	memcpy(&h, control + off, sizeof(h));
	if (h.cmsg_len < CMSG_LEN(0))
		return CMSGBUF_DEFECT_LEN_TOO_SMALL;
	if (h.cmsg_len > len - off)
		return CMSGBUF_DEFECT_LEN_PAST_END;
	fuzz_fail("the walk stopped at offset %zu, before a header that fits (cmsg_len %zu)", off,
		  (size_t)h.cmsg_len);
}

/* The libc's walk visits the @n headers in @seen, and nothing else. */
static void libc_walk(unsigned char *control, size_t len, const struct cmsghdr **seen, size_t n)
{
	struct msghdr mh;
	struct cmsghdr *h;

	memset(&mh, 0, sizeof(mh));
	mh.msg_control = control;
	mh.msg_controllen = len;
	h = CMSG_FIRSTHDR(&mh);
	for (size_t i = 0; i < n; i++) {
		fuzz_assert(h == seen[i], "header %zu: libc at %p, cmsgbuf at %p", i, (void *)h,
			    (const void *)seen[i]);
		h = fuzz_libc_nxthdr(&mh, h);
	}
	fuzz_assert(!h, "the libc walk finds more than cmsgbuf's %zu headers", n);
}

struct edit {
	uint8_t step;
	int8_t where;
	uint32_t value;
};

#define MAX_EDITS 15

/* Applies the edits of @step around the header at @off. */
static void apply_edits(unsigned char *control, size_t len, size_t off, size_t step,
			const struct edit *edits, size_t nedits)
{
	for (size_t i = 0; i < nedits; i++) {
		ptrdiff_t at = (ptrdiff_t)off + edits[i].where;
		uint8_t le[4] = { (uint8_t)edits[i].value, (uint8_t)(edits[i].value >> 8),
				  (uint8_t)(edits[i].value >> 16), (uint8_t)(edits[i].value >> 24) };

		if (edits[i].step != step || len < sizeof(le))
			continue;
		at = at < 0 ? 0 : at;
		at = (size_t)at > len - sizeof(le) ? (ptrdiff_t)(len - sizeof(le)) : at;
		memcpy(control + at, le, sizeof(le));
	}
}

/* What cmsgbuf_next() must return after the header at @off, from the bytes as they are now. */
static const struct cmsghdr *next_now(unsigned char *control, size_t len, size_t off)
{
	struct cmsghdr h;
	size_t clen;

	memcpy(&h, control + off, sizeof(h));
	clen = h.cmsg_len;
	if (clen < CMSG_LEN(0) || clen > len - off || CMSG_ALIGN(clen) > len - off)
		return NULL;
	off += CMSG_ALIGN(clen);
	if (len - off < sizeof(h))
		return NULL;
	memcpy(&h, control + off, sizeof(h));
	if (h.cmsg_len < CMSG_LEN(0) || h.cmsg_len > len - off)
		return NULL;
	return (const struct cmsghdr *)(void *)(control + off);
}

/*
 * The walk while the bytes change under it: every header returned lies
 * inside, each after the one before, and is the one the bytes at that moment
 * name.
 */
static void walk_edited(unsigned char *control, size_t len, const struct edit *edits, size_t nedits)
{
	size_t most = len / CMSG_LEN(0), n = 0;
	const struct cmsghdr *h = cmsgbuf_first(control, len);

	while (h) {
		size_t off = (size_t)((uintptr_t)h - (uintptr_t)control);
		const struct cmsghdr *want;
		struct cmsghdr hc;

		fuzz_assert(n < most, "edited walk: more than %zu headers in %zu bytes", n, len);
		fuzz_assert(off % CMSGBUF_HDR_ALIGN == 0 && off <= len && len - off >= sizeof(hc),
			    "edited walk: header %zu at offset %zu of %zu bytes", n, off, len);
		memcpy(&hc, h, sizeof(hc));
		fuzz_assert(hc.cmsg_len >= CMSG_LEN(0) && hc.cmsg_len <= len - off,
			    "edited walk: header %zu at %zu: cmsg_len %zu is not within the %zu bytes left",
			    n, off, (size_t)hc.cmsg_len, len - off);
		apply_edits(control, len, off, n, edits, nedits);
		want = next_now(control, len, off);
		h = cmsgbuf_next(control, len, h);
		fuzz_assert(h == want, "edited walk: after header %zu at %zu, next is %p, expected %p",
			    n, off, (const void *)h, (const void *)want);
		n++;
	}
}

static void walk(unsigned char *control, size_t len)
{
	bool aligned = (uintptr_t)control % CMSGBUF_HDR_ALIGN == 0;
	size_t most = len / CMSG_LEN(0), n = 0, end = 0;
	const struct cmsghdr **seen = fuzz_alloc((most + 1) * sizeof(*seen));
	enum cmsgbuf_defect want = aligned ? CMSGBUF_WELL_FORMED : CMSGBUF_DEFECT_MISALIGNED;
	enum cmsgbuf_defect got = cmsgbuf_check(control, len);

	for (const struct cmsghdr *h = cmsgbuf_first(control, len); h; h = cmsgbuf_next(control, len, h)) {
		size_t off = (size_t)((uintptr_t)h - (uintptr_t)control);
		struct cmsghdr hc;

		fuzz_assert(aligned, "a header from a misaligned buffer");
		fuzz_assert(n < most, "the walk goes on past %zu headers in %zu bytes", n, len);
		fuzz_assert(off == end, "header %zu at offset %zu, expected at %zu, where the one "
			    "before ends", n, off, end);
		fuzz_assert(off + CMSG_LEN(0) <= len, "header %zu at offset %zu does not fit in %zu bytes",
			    n, off, len);
		memcpy(&hc, h, sizeof(hc));
		fuzz_assert(hc.cmsg_len >= CMSG_LEN(0) && hc.cmsg_len <= len - off,
			    "header %zu at %zu: cmsg_len %zu is not within the %zu bytes left", n, off,
			    (size_t)hc.cmsg_len, len - off);
		if (want == CMSGBUF_WELL_FORMED && CMSG_ALIGN(hc.cmsg_len) > len - off)
			want = CMSGBUF_DEFECT_UNPADDED;
		else if (want == CMSGBUF_WELL_FORMED && !fuzz_padding_zero(control + off, hc.cmsg_len))
			want = CMSGBUF_DEFECT_NONZERO_PADDING;
		seen[n++] = h;
		end = off + CMSG_ALIGN(hc.cmsg_len);
	}
	if (want == CMSGBUF_WELL_FORMED)
		want = defect_at(control, len, end);
	if (got != want)
		fuzz_hexdump("control", control, len);
	fuzz_assert(got == want, "cmsgbuf_check says \"%s\", the walk of %zu headers says \"%s\"",
		    cmsgbuf_defect_str(got), n, cmsgbuf_defect_str(want));
	fuzz_assert(*cmsgbuf_defect_str(got), "defect %d has no text", (int)got);
	if (got == CMSGBUF_WELL_FORMED)
		libc_walk(control, len, seen, n);
	free(seen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t first = fuzz_u8(&in);
	size_t skip = first % 16, nedits = first / 16, len;
	struct edit edits[MAX_EDITS];
	unsigned char *block, *control;

	for (size_t i = 0; i < nedits; i++) {
		edits[i].step = fuzz_u8(&in);
		edits[i].where = (int8_t)fuzz_u8(&in);
		edits[i].value = fuzz_u32(&in);
	}
	len = in.left;
	block = fuzz_alloc(skip + len ? skip + len : 1);
	control = block + skip;
	fuzz_take(&in, control, len);
	ASAN_POISON_MEMORY_REGION(block, skip);
	if (nedits)
		walk_edited(control, len, edits, nedits);
	else
		walk(control, len);
	fuzz_assert(!cmsgbuf_first(NULL, len) && !cmsgbuf_next(control, len, NULL),
		    "a walk of NULL found a header");
	fuzz_assert(cmsgbuf_check(NULL, len) == CMSGBUF_WELL_FORMED, "NULL is not an empty buffer");
	ASAN_UNPOISON_MEMORY_REGION(block, skip);
	free(block);
	return 0;
}
