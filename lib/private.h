#ifndef CMSGBUF_PRIVATE_H
#define CMSGBUF_PRIVATE_H

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

#endif
