#ifndef CMSGBUF_PRIVATE_H
#define CMSGBUF_PRIVATE_H

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
