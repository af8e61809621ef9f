/*
 * The walker and the well-formedness check: the two readers of control bytes
 * that anyone may have written. The walker itself, cmsgbuf_first() and
 * cmsgbuf_next(), is inline in cmsgbuf.h; cmsgbuf_check() walks on its own,
 * since it must also name what is wrong where the walker just stops.
 *
 * Every bound is an offset compared with the bytes left (len - off), never a
 * pointer sum, so no cmsg_len, however large, can make the arithmetic wrap.
 * Headers are read through memcpy(), so no read is misaligned, even before
 * the alignment has been checked.
 */

#include "private.h"	/* first: it sets _GNU_SOURCE */

#include <stdint.h>
#include <string.h>

/* The bytes after a cmsg_len of @len up to the next CMSG_ALIGN() boundary. */
static size_t pad_after(size_t len)
{
	return -len & (CMSG_ALIGN(1) - 1);
}

/* The cmsg_len of the header at @p, which need not be aligned. */
static size_t len_at(const unsigned char *p)
{
	struct cmsghdr h;

	memcpy(&h, p, sizeof(h));
	return h.cmsg_len;
}

static bool aligned(const void *control)
{
	return (uintptr_t)control % CMSGBUF_HDR_ALIGN == 0;
}

/* The exported copies of the walker's inline functions of cmsgbuf.h. */
extern inline const struct cmsghdr *cmsgbuf_first(const void *control, size_t len);
extern inline const struct cmsghdr *cmsgbuf_next(const void *control, size_t len,
						 const struct cmsghdr *cur);

static bool all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Are the header's padding bytes, if the platform has any, zero? */
static bool header_clean(const unsigned char *p)
{
	struct cmsghdr seen, clean;

	memcpy(&seen, p, sizeof(seen));
	memset(&clean, 0, sizeof(clean));
	clean.cmsg_len = seen.cmsg_len;
	clean.cmsg_level = seen.cmsg_level;
	clean.cmsg_type = seen.cmsg_type;
	return memcmp(&clean, p, sizeof(clean)) == 0 &&
	       all_zero(p + sizeof(clean), CMSG_LEN(0) - sizeof(clean));
}

CMSGBUF_PUBLIC enum cmsgbuf_defect cmsgbuf_check(const void *control, size_t len)
{
	const unsigned char *base = control;
	size_t off = 0;

	if (!control)
		return CMSGBUF_WELL_FORMED;
	if (!aligned(control))
		return CMSGBUF_DEFECT_MISALIGNED;
	while (off < len) {
		size_t left = len - off, clen;

		if (left < sizeof(struct cmsghdr))
			return CMSGBUF_DEFECT_SHORT_HEADER;
		clen = len_at(base + off);
		if (clen < CMSG_LEN(0))
			return CMSGBUF_DEFECT_LEN_TOO_SMALL;
		if (clen > left)
			return CMSGBUF_DEFECT_LEN_PAST_END;
		if (pad_after(clen) > left - clen)
			return CMSGBUF_DEFECT_UNPADDED;
		if (!header_clean(base + off) || !all_zero(base + off + clen, pad_after(clen)))
			return CMSGBUF_DEFECT_NONZERO_PADDING;
		off += clen + pad_after(clen);
	}
	return CMSGBUF_WELL_FORMED;
}

CMSGBUF_PUBLIC const char *cmsgbuf_defect_str(enum cmsgbuf_defect defect)
{
	switch (defect) {
	case CMSGBUF_WELL_FORMED:
		return "well-formed";
	case CMSGBUF_DEFECT_MISALIGNED:
		return "buffer not aligned for struct cmsghdr";
	case CMSGBUF_DEFECT_SHORT_HEADER:
		return "bytes left over, too few for a header";
	case CMSGBUF_DEFECT_LEN_TOO_SMALL:
		return "cmsg_len smaller than a header";
	case CMSGBUF_DEFECT_LEN_PAST_END:
		return "cmsg_len runs past the end of the buffer";
	case CMSGBUF_DEFECT_UNPADDED:
		return "last message lacks its padding";
	case CMSGBUF_DEFECT_NONZERO_PADDING:
		return "nonzero padding byte";
	}
	return "unknown defect";
}
