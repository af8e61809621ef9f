#ifndef CMSGBUF_PRIVATE_H
#define CMSGBUF_PRIVATE_H

/*
 * Every C file of lib/ includes this header first, so that the library builds the
 * same under any build system: struct ucred, struct in6_pktinfo, struct
 * mmsghdr and SO_PASSCRED are declared only under _GNU_SOURCE.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <stdint.h>

#include "cmsgbuf.h"

/*
 * The library is compiled with hidden visibility; what the public header
 * declares is exported by marking its definition, and libcmsgbuf.sym names
 * the same set, so a symbol can neither leak nor go missing unnoticed.
 */
#if defined(__GNUC__)
#define CMSGBUF_PUBLIC __attribute__((visibility("default")))
#else
#define CMSGBUF_PUBLIC
#endif

/*
 * The bytes to skip from @space to the first address aligned for struct
 * cmsghdr, where a buffer's usable part starts; 0 for NULL.
 */
static inline size_t cmsgbuf_align_skip(const void *space)
{
	return space ? (size_t)(-(uintptr_t)space & (CMSGBUF_HDR_ALIGN - 1)) : 0;
}

#endif
