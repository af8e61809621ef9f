#ifndef CMSGBUF_KINDS_H
#define CMSGBUF_KINDS_H

/*
 * The table of control messages cmsgbuf knows: what the kernel takes on send,
 * row by row, so that adding a kind is adding a row to kinds.c. Push
 * consults it; the fuzzers keep a model of their own, so that they check the
 * table rather than repeat it.
 */

#include <stdbool.h>
#include <stddef.h>

#include "cmsgbuf.h"

/* How long the payload may be. */
enum cmsgbuf_shape {
	CMSGBUF_SHAPE_FDS,		/* a nonempty array of int descriptors, each >= 0 */
	CMSGBUF_SHAPE_EXACT,		/* exactly size bytes */
	CMSGBUF_SHAPE_AT_LEAST,		/* size bytes or more */
	CMSGBUF_SHAPE_AT_MOST,		/* size bytes or fewer */
	CMSGBUF_SHAPE_INT_OR_BYTE,	/* an int, or a single unsigned byte */
	CMSGBUF_SHAPE_IPV6_EXTHDR,	/* at least size bytes, and (byte 1 + 1) * 8 */
	CMSGBUF_SHAPE_REFUSED,		/* the kernel takes no such message on send */
};

/* What the payload may hold, once its length is right. */
enum cmsgbuf_value {
	CMSGBUF_VALUE_ANY,
	CMSGBUF_VALUE_RANGE,		/* an int (or byte) in [min, max] */
	CMSGBUF_VALUE_MASK,		/* a u32 with no bit outside mask */
	CMSGBUF_VALUE_FLOWINFO,		/* a __be32 whose 4 version bits are 0 */
	CMSGBUF_VALUE_RTHDR_TYPE_2,	/* a type 2 routing header: hdrlen 2, 1 segment left */
};

/*
 * The fields of the kernel's send state (struct sockcm_cookie, struct
 * ipcm_cookie, struct ipcm6_cookie with its flowi6 and ipv6_txoptions, udp's
 * gso_size) that a message sets. Two messages that set one field leave the
 * last one's value, whatever their kinds: push refuses the second.
 */
enum cmsgbuf_field {
	CMSGBUF_FIELD_CREDENTIALS = CMSGBUF_PRIVATE_ONCE_CREDENTIALS,	/* scm_cookie.creds */
	CMSGBUF_FIELD_MARK = 1u << 2,		/* sockcm_cookie.mark */
	CMSGBUF_FIELD_TSFLAGS = 1u << 3,	/* sockcm_cookie.tsflags, its TX_RECORD_MASK bits */
	CMSGBUF_FIELD_TRANSMIT_TIME = 1u << 4,	/* sockcm_cookie.transmit_time */
	CMSGBUF_FIELD_TS_OPT_ID = 1u << 5,	/* sockcm_cookie.ts_opt_id */
	CMSGBUF_FIELD_PRIORITY = 1u << 6,	/* sockcm_cookie.priority */
	CMSGBUF_FIELD_DMABUF_ID = 1u << 7,	/* sockcm_cookie.dmabuf_id */
	CMSGBUF_FIELD_GSO_SIZE = 1u << 8,	/* udp's gso_size */
	CMSGBUF_FIELD_SOURCE = 1u << 9,		/* ipcm_cookie.addr and .oif; flowi6 saddr and oif */
	CMSGBUF_FIELD_TOS = 1u << 10,		/* ipcm_cookie.tos */
	CMSGBUF_FIELD_TTL = 1u << 11,		/* ipcm_cookie.ttl */
	CMSGBUF_FIELD_IP_OPT = 1u << 12,	/* ipcm_cookie.opt */
	CMSGBUF_FIELD_PROTOCOL = 1u << 13,	/* ipcm_cookie.protocol */
	CMSGBUF_FIELD_HLIMIT = 1u << 14,	/* ipcm6_cookie.hlimit */
	CMSGBUF_FIELD_TCLASS = 1u << 15,	/* ipcm6_cookie.tclass */
	CMSGBUF_FIELD_DONTFRAG = 1u << 16,	/* ipcm6_cookie.dontfrag */
	CMSGBUF_FIELD_FLOWLABEL = 1u << 17,	/* flowi6.flowlabel */
	CMSGBUF_FIELD_HOPOPT = 1u << 18,	/* ipv6_txoptions.hopopt */
	CMSGBUF_FIELD_DST1OPT = 1u << 19,	/* ipv6_txoptions.dst1opt */
	CMSGBUF_FIELD_DST0OPT = 1u << 20,	/* ipv6_txoptions.dst0opt */
	CMSGBUF_FIELD_SRCRT = 1u << 21,		/* ipv6_txoptions.srcrt */
};

struct cmsgbuf_kind {
	const char *name;
	int level;
	int type;		/* CMSGBUF_ANY_TYPE: every type the rows before do not name */
	enum cmsgbuf_shape shape;
	size_t size;		/* for EXACT, AT_LEAST, AT_MOST and IPV6_EXTHDR */
	enum cmsgbuf_value value;
	int min, max;		/* for RANGE */
	unsigned int mask;	/* for MASK */
	unsigned int fields;	/* the cmsgbuf_field bits the message sets */
};

#define CMSGBUF_ANY_TYPE (-2147483647 - 1)

/* Where @m's payload lies: in the message itself (held), or at its data. */
static inline const unsigned char *cmsgbuf_payload(const struct cmsgbuf_msg *m)
{
	return m->held ? m->value : (const unsigned char *)m->data;
}

/* The row for (level, type), or NULL when cmsgbuf knows no rule for it. */
const struct cmsgbuf_kind *cmsgbuf_kind_find(int level, int type);

/*
 * Does the kernel take @m on send, given that the buffer already holds @nfds
 * descriptors and sets the fields in @fields? 0 if so, and then @nfds and
 * @fields are updated to include @m; else EINVAL, and they are unchanged.
 * @m's length is already known not to exceed INT_MAX. A message of
 * cmsgbuf_unchecked() is always taken, and counted as a checked one would be.
 */
int cmsgbuf_kind_admit(const struct cmsgbuf_msg *m, unsigned int *nfds, unsigned int *fields);

#endif
