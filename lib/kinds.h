#ifndef CMSGBUF_KINDS_H
#define CMSGBUF_KINDS_H

/*
 * The table of control messages cmsgbuf knows: what the kernel takes on send,
 * row by row, so that adding a kind is adding a row to kinds.c. Push, the
 * receive-side readers and the fuzzers all consult this one table.
 */

#include <stdbool.h>
#include <stddef.h>

#include "cmsgbuf.h"

enum cmsgbuf_shape {
	CMSGBUF_SHAPE_FDS,		/* a nonempty array of int descriptors, each >= 0 */
	CMSGBUF_SHAPE_EXACT,		/* exactly size bytes */
	CMSGBUF_SHAPE_AT_LEAST,		/* size bytes or more */
	CMSGBUF_SHAPE_INT_OR_BYTE,	/* an int, or a single unsigned byte */
	CMSGBUF_SHAPE_REFUSED,		/* the kernel takes no such message on send */
};

struct cmsgbuf_kind {
	const char *name;
	int level;
	int type;
	enum cmsgbuf_shape shape;
	size_t size;		/* for EXACT and AT_LEAST */
	bool ranged;		/* an int (or byte) that must lie in [min, max] */
	int min, max;
	bool once;		/* the kernel keeps only the last of several */
};

/* The row for (level, type), or NULL when cmsgbuf knows no rule for it. */
const struct cmsgbuf_kind *cmsgbuf_kind_find(int level, int type);

/* The row's index, for the once-only bit set; below 32. */
unsigned int cmsgbuf_kind_index(const struct cmsgbuf_kind *k);

/*
 * Does the kernel take @m on send, given that the buffer already holds @nfds
 * descriptors and the once-only kinds in @once? 0 if so, and then @nfds and
 * @once are updated to include @m; else EINVAL, and they are unchanged.
 * @m's length is already known not to exceed INT_MAX.
 */
int cmsgbuf_kind_admit(const struct cmsgbuf_msg *m, unsigned int *nfds, unsigned int *once);

#endif
