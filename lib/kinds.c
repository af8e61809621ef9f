/*
 * The control messages cmsgbuf knows, and the kernel's rules for them on send
 * (Linux 6.18).
 *
 * Each row states what the kernel's send path checks for one (level, type):
 * __scm_send() in net/core/scm.c (AF_UNIX), __sock_cmsg_send() in
 * net/core/sock.c (SOL_SOCKET on every other socket), ip_cmsg_send() in
 * net/ipv4/ip_sockglue.c, udp_cmsg_send() in net/ipv4/udp.c,
 * ip6_datagram_send_ctl() in net/ipv6/datagram.c: the payload's length, the
 * values it may hold, and the fields of the kernel's send state it sets. Two
 * messages that set one field leave only the last one's value, whatever
 * their kinds, so push refuses the second (docs/kernel-rules.md gives each
 * rule with the test that shows the kernel doing it).
 *
 * At SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6 and SOL_UDP the table names every
 * type the kernel takes; each level ends with a row that refuses the others,
 * as the kernel does on the sockets those levels are for. Other levels are
 * the business of other protocols: their messages are copied as they are.
 */

#include "private.h"	/* first: it sets _GNU_SOURCE */

#include "kinds.h"

#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#ifndef SOL_UDP
#define SOL_UDP 17
#endif
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef SO_TIMESTAMPING_OLD
#define SO_TIMESTAMPING_OLD 37
#endif
#ifndef SO_TIMESTAMPING_NEW
#define SO_TIMESTAMPING_NEW 65
#endif
#ifndef SCM_TXTIME
#define SCM_TXTIME 61
#endif
#ifndef SCM_DEVMEM_DMABUF
#define SCM_DEVMEM_DMABUF 79
#endif
#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81
#endif
#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52
#endif
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11
#endif

/*
 * SOF_TIMESTAMPING_TX_RECORD_MASK (include/uapi/linux/net_tstamp.h):
 * TX_HARDWARE, TX_SOFTWARE, TX_SCHED, TX_ACK, and TX_COMPLETION (Linux 6.15).
 */
#define TX_RECORD_MASK (1u << 0 | 1u << 1 | 1u << 8 | 1u << 9 | 1u << 18)

/* The smallest IPv6 option header (struct ipv6_opt_hdr) and routing header (struct ipv6_rt_hdr). */
#define IPV6_OPT_HDR 2
#define IPV6_RT_HDR 4

/* struct cmsgbuf_ucred stands in for struct ucred: same size, same offsets. */
_Static_assert(sizeof(struct cmsgbuf_ucred) == sizeof(struct ucred), "ucred size");
_Static_assert(offsetof(struct cmsgbuf_ucred, pid) == offsetof(struct ucred, pid), "ucred pid");
_Static_assert(offsetof(struct cmsgbuf_ucred, uid) == offsetof(struct ucred, uid), "ucred uid");
_Static_assert(offsetof(struct cmsgbuf_ucred, gid) == offsetof(struct ucred, gid), "ucred gid");

/* The inline value shares the pointer's bytes: a message is no larger than before it (LP64). */
_Static_assert(sizeof(void *) != 8 || sizeof(struct cmsgbuf_msg) == 32, "struct cmsgbuf_msg grew");

/* cmsgbuf.h's constants, for the libcs that lack them. */
_Static_assert(CMSGBUF_PRIVATE_UDP_SEGMENT == UDP_SEGMENT, "UDP_SEGMENT");
_Static_assert(CMSGBUF_PRIVATE_SCM_TXTIME == SCM_TXTIME, "SCM_TXTIME");
_Static_assert(CMSGBUF_PRIVATE_SCM_TS_OPT_ID == SCM_TS_OPT_ID, "SCM_TS_OPT_ID");
_Static_assert(CMSGBUF_PRIVATE_SO_MARK == SO_MARK, "SO_MARK");
_Static_assert(CMSGBUF_PRIVATE_SO_PRIORITY == SO_PRIORITY, "SO_PRIORITY");
_Static_assert(CMSGBUF_PRIVATE_SO_TIMESTAMPING == SO_TIMESTAMPING_OLD, "SO_TIMESTAMPING");

/* Shorthands, so that a row reads as the kernel's rule. */
#define EXACT(n) .shape = CMSGBUF_SHAPE_EXACT, .size = (n)
#define AT_LEAST(n) .shape = CMSGBUF_SHAPE_AT_LEAST, .size = (n)
#define AT_MOST(n) .shape = CMSGBUF_SHAPE_AT_MOST, .size = (n)
#define EXTHDR(n) .shape = CMSGBUF_SHAPE_IPV6_EXTHDR, .size = (n)
#define RANGE(lo, hi) .value = CMSGBUF_VALUE_RANGE, .min = (lo), .max = (hi)
#define MASK(m) .value = CMSGBUF_VALUE_MASK, .mask = (m)
#define SETS(f) .fields = CMSGBUF_FIELD_##f
#define OTHERS(lvl) .level = (lvl), .type = CMSGBUF_ANY_TYPE, .shape = CMSGBUF_SHAPE_REFUSED

/*
 * The lookup is linear, so rows come in the order senders push them most:
 * descriptors and credentials, then what UDP senders pass with every
 * datagram (segmentation, source address, ECN, hop limit), then the rest.
 * A level's catch-all row comes after every other row of its level.
 */
static const struct cmsgbuf_kind kinds[] = {
	/* __scm_send(): scm_fp_copy() */
	{ .name = "SCM_RIGHTS", .level = SOL_SOCKET, .type = SCM_RIGHTS, .shape = CMSGBUF_SHAPE_FDS },
	/* __scm_send(): struct ucred, exactly; the last one is kept */
	{ .name = "SCM_CREDENTIALS", .level = SOL_SOCKET, .type = CMSGBUF_SCM_CREDENTIALS,
	  EXACT(sizeof(struct cmsgbuf_ucred)), SETS(CREDENTIALS) },
	/* __udp_cmsg_send(): a __u16 */
	{ .name = "UDP_SEGMENT", .level = SOL_UDP, .type = UDP_SEGMENT, EXACT(sizeof(unsigned short)),
	  SETS(GSO_SIZE) },
	/* ip_cmsg_send(): struct in_pktinfo, exactly; sets ipc->oif and ipc->addr */
	{ .name = "IP_PKTINFO", .level = IPPROTO_IP, .type = IP_PKTINFO, EXACT(sizeof(struct in_pktinfo)),
	  SETS(SOURCE) },
	/*
	 * ip6_datagram_send_ctl(): at least a struct in6_pktinfo; sets the flow's
	 * saddr and oif, as ip_cmsg_send() sets ipc->addr and ipc->oif from it
	 * on an IPv6 socket sending to an IPv4-mapped address
	 */
	{ .name = "IPV6_PKTINFO", .level = IPPROTO_IPV6, .type = IPV6_PKTINFO,
	  AT_LEAST(sizeof(struct in6_pktinfo)), SETS(SOURCE) },
	/* ip_cmsg_send(): an int or a byte, 0..255; sets ipc->tos, and ipc->sockc.priority from it */
	{ .name = "IP_TOS", .level = IPPROTO_IP, .type = IP_TOS, .shape = CMSGBUF_SHAPE_INT_OR_BYTE,
	  RANGE(0, 255), .fields = CMSGBUF_FIELD_TOS | CMSGBUF_FIELD_PRIORITY },
	/* ip6_datagram_send_ctl(): an int, -1..255 */
	{ .name = "IPV6_TCLASS", .level = IPPROTO_IPV6, .type = IPV6_TCLASS, EXACT(sizeof(int)),
	  RANGE(-1, 255), SETS(TCLASS) },
	/* ip_cmsg_send(): an int, 1..255 */
	{ .name = "IP_TTL", .level = IPPROTO_IP, .type = IP_TTL, EXACT(sizeof(int)), RANGE(1, 255),
	  SETS(TTL) },
	/* ip6_datagram_send_ctl(): an int, -1..255, for both names */
	{ .name = "IPV6_HOPLIMIT", .level = IPPROTO_IPV6, .type = IPV6_HOPLIMIT, EXACT(sizeof(int)),
	  RANGE(-1, 255), SETS(HLIMIT) },
	/* ip6_datagram_send_ctl(): an int, 0..1 */
	{ .name = "IPV6_DONTFRAG", .level = IPPROTO_IPV6, .type = IPV6_DONTFRAG, EXACT(sizeof(int)),
	  RANGE(0, 1), SETS(DONTFRAG) },
	/* __sock_cmsg_send(): a u32 (and CAP_NET_RAW or CAP_NET_ADMIN) */
	{ .name = "SO_MARK", .level = SOL_SOCKET, .type = SO_MARK, EXACT(sizeof(unsigned int)), SETS(MARK) },
	/* __sock_cmsg_send(): a u32 (above 6, CAP_NET_RAW or CAP_NET_ADMIN) */
	{ .name = "SO_PRIORITY", .level = SOL_SOCKET, .type = SO_PRIORITY, EXACT(sizeof(unsigned int)),
	  SETS(PRIORITY) },
	/* __sock_cmsg_send(): a u64 (and SO_TXTIME set on the socket, which sets the clock) */
	{ .name = "SCM_TXTIME", .level = SOL_SOCKET, .type = SCM_TXTIME, EXACT(sizeof(unsigned long long)),
	  SETS(TRANSMIT_TIME) },
	/* __sock_cmsg_send(): a u32 within SOF_TIMESTAMPING_TX_RECORD_MASK, for both names */
	{ .name = "SO_TIMESTAMPING_OLD", .level = SOL_SOCKET, .type = SO_TIMESTAMPING_OLD,
	  EXACT(sizeof(unsigned int)), MASK(TX_RECORD_MASK), SETS(TSFLAGS) },
	{ .name = "SO_TIMESTAMPING_NEW", .level = SOL_SOCKET, .type = SO_TIMESTAMPING_NEW,
	  EXACT(sizeof(unsigned int)), MASK(TX_RECORD_MASK), SETS(TSFLAGS) },
	/* __sock_cmsg_send(): a u32 (and SOF_TIMESTAMPING_OPT_ID set on the socket, not TCP) */
	{ .name = "SCM_TS_OPT_ID", .level = SOL_SOCKET, .type = SCM_TS_OPT_ID, EXACT(sizeof(unsigned int)),
	  SETS(TS_OPT_ID) },
	/* __sock_cmsg_send(): a u32, the dma-buf of devmem TCP transmit */
	{ .name = "SCM_DEVMEM_DMABUF", .level = SOL_SOCKET, .type = SCM_DEVMEM_DMABUF,
	  EXACT(sizeof(unsigned int)), SETS(DMABUF_ID) },
	/* __scm_send(), __sock_cmsg_send(): every other type is EINVAL */
	{ .name = "SOL_SOCKET (other)", OTHERS(SOL_SOCKET) },
	/* __udp_cmsg_send(): every other type is EINVAL */
	{ .name = "SOL_UDP (other)", OTHERS(SOL_UDP) },
	/* ip_cmsg_send(): at most 40 bytes of options (it cuts longer ones to 40) */
	{ .name = "IP_RETOPTS", .level = IPPROTO_IP, .type = IP_RETOPTS, AT_MOST(40), SETS(IP_OPT) },
	/* ip_cmsg_send(): an int, 1..255 */
	{ .name = "IP_PROTOCOL", .level = IPPROTO_IP, .type = IP_PROTOCOL, EXACT(sizeof(int)),
	  RANGE(1, 255), SETS(PROTOCOL) },
	/* ip_cmsg_send(): every other type is EINVAL */
	{ .name = "IPPROTO_IP (other)", OTHERS(IPPROTO_IP) },
	/* ip6_datagram_send_ctl(): the RFC 2292 names of IPV6_PKTINFO and IPV6_HOPLIMIT */
	{ .name = "IPV6_2292PKTINFO", .level = IPPROTO_IPV6, .type = IPV6_2292PKTINFO,
	  AT_LEAST(sizeof(struct in6_pktinfo)), SETS(SOURCE) },
	{ .name = "IPV6_2292HOPLIMIT", .level = IPPROTO_IPV6, .type = IPV6_2292HOPLIMIT, EXACT(sizeof(int)),
	  RANGE(-1, 255), SETS(HLIMIT) },
	/* ip6_datagram_send_ctl(): at least a __be32; the 4 version bits must be 0 */
	{ .name = "IPV6_FLOWINFO", .level = IPPROTO_IPV6, .type = IPV6_FLOWINFO, AT_LEAST(4),
	  .value = CMSGBUF_VALUE_FLOWINFO, SETS(FLOWLABEL) },
	/*
	 * ip6_datagram_send_ctl(): an extension header as long as its hdrlen says
	 * (and CAP_NET_RAW, but for the routing header)
	 */
	{ .name = "IPV6_HOPOPTS", .level = IPPROTO_IPV6, .type = IPV6_HOPOPTS, EXTHDR(IPV6_OPT_HDR),
	  SETS(HOPOPT) },
	{ .name = "IPV6_2292HOPOPTS", .level = IPPROTO_IPV6, .type = IPV6_2292HOPOPTS, EXTHDR(IPV6_OPT_HDR),
	  SETS(HOPOPT) },
	{ .name = "IPV6_DSTOPTS", .level = IPPROTO_IPV6, .type = IPV6_DSTOPTS, EXTHDR(IPV6_OPT_HDR),
	  SETS(DST1OPT) },
	{ .name = "IPV6_2292DSTOPTS", .level = IPPROTO_IPV6, .type = IPV6_2292DSTOPTS, EXTHDR(IPV6_OPT_HDR),
	  SETS(DST1OPT) },
	{ .name = "IPV6_RTHDRDSTOPTS", .level = IPPROTO_IPV6, .type = IPV6_RTHDRDSTOPTS,
	  EXTHDR(IPV6_OPT_HDR), SETS(DST0OPT) },
	/* only the type 2 routing header of Mobile IPv6 (CONFIG_IPV6_MIP6) */
	{ .name = "IPV6_RTHDR", .level = IPPROTO_IPV6, .type = IPV6_RTHDR, EXTHDR(IPV6_RT_HDR),
	  .value = CMSGBUF_VALUE_RTHDR_TYPE_2, SETS(SRCRT) },
	{ .name = "IPV6_2292RTHDR", .level = IPPROTO_IPV6, .type = IPV6_2292RTHDR, EXTHDR(IPV6_RT_HDR),
	  .value = CMSGBUF_VALUE_RTHDR_TYPE_2, SETS(SRCRT) },
	/* ip6_datagram_send_ctl(): every other type is EINVAL */
	{ .name = "IPPROTO_IPV6 (other)", OTHERS(IPPROTO_IPV6) },
};

_Static_assert(CMSGBUF_ANY_TYPE == INT_MIN, "the catch-all's type is no type the kernel knows");

const struct cmsgbuf_kind *cmsgbuf_kind_find(int level, int type)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].level == level && (kinds[i].type == type || kinds[i].type == CMSGBUF_ANY_TYPE))
			return &kinds[i];
	return NULL;
}

/* The payload's fds: a nonzero multiple of int, each >= 0, total within SCM_MAX_FD. */
static int admit_fds(const struct cmsgbuf_msg *m, unsigned int nfds)
{
	size_t n = m->len / sizeof(int);
	const unsigned char *p = cmsgbuf_payload(m);

	if (n == 0 || m->len % sizeof(int) != 0 || nfds + n > CMSGBUF_MAX_FDS)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		int fd;

		memcpy(&fd, p + i * sizeof(int), sizeof(fd));
		if (fd < 0)
			return EINVAL;
	}
	return 0;
}

static bool length_fits(const struct cmsgbuf_kind *k, const struct cmsgbuf_msg *m)
{
	const unsigned char *p = cmsgbuf_payload(m);

	/* Every shape has its case: the switch's implicit default is never taken. */
	switch (k->shape) { /* GCOVR_EXCL_BR_LINE */
	case CMSGBUF_SHAPE_FDS:
		return true;
	case CMSGBUF_SHAPE_EXACT:
		return m->len == k->size;
	case CMSGBUF_SHAPE_AT_LEAST:
		return m->len >= k->size;
	case CMSGBUF_SHAPE_AT_MOST:
		return m->len <= k->size;
	case CMSGBUF_SHAPE_INT_OR_BYTE:
		return m->len == sizeof(int) || m->len == 1;
	case CMSGBUF_SHAPE_IPV6_EXTHDR:
		/* byte 1 is hdrlen: the header's length in 8 bytes, not counting the first 8 */
		return m->len >= k->size && m->len >= ((size_t)p[1] + 1) * 8;
	case CMSGBUF_SHAPE_REFUSED:
		return false;
	}
	/* unreachable: every shape returns above; for compilers that cannot see it */
	return false; /* GCOVR_EXCL_LINE */
}

/* The payload's value; its length is already checked. */
static bool value_fits(const struct cmsgbuf_kind *k, const struct cmsgbuf_msg *m)
{
	const unsigned char *p = cmsgbuf_payload(m);
	unsigned int u;
	int v;

	switch (k->value) { /* GCOVR_EXCL_BR_LINE */
	case CMSGBUF_VALUE_ANY:
		return true;
	case CMSGBUF_VALUE_RANGE:
		if (m->len == 1)
			v = p[0];
		else
			memcpy(&v, p, sizeof(v));
		return v >= k->min && v <= k->max;
	case CMSGBUF_VALUE_MASK:
		memcpy(&u, p, sizeof(u));
		return (u & ~k->mask) == 0;
	case CMSGBUF_VALUE_FLOWINFO:
		/* network byte order: the version is the high nibble of the first byte */
		return (p[0] & 0xf0) == 0;
	case CMSGBUF_VALUE_RTHDR_TYPE_2:
		/* hdrlen, type, segments left */
		return p[1] == 2 && p[2] == 2 && p[3] == 1;
	}
	/* unreachable: every value rule returns above; for compilers that cannot see it */
	return false; /* GCOVR_EXCL_LINE */
}

int cmsgbuf_kind_admit(const struct cmsgbuf_msg *m, unsigned int *nfds, unsigned int *fields)
{
	const struct cmsgbuf_kind *k = cmsgbuf_kind_find(m->level, m->type);

	if (!k)
		return 0;
	if (!m->unchecked) {
		if (k->shape == CMSGBUF_SHAPE_FDS && admit_fds(m, *nfds) != 0)
			return EINVAL;
		if (!length_fits(k, m) || !value_fits(k, m) || (*fields & k->fields))
			return EINVAL;
	}
	/* An unchecked message of a kind that carries fds or sets fields counts as one. */
	if (k->shape == CMSGBUF_SHAPE_FDS)
		*nfds += (unsigned int)(m->len / sizeof(int));
	*fields |= k->fields;
	return 0;
}
