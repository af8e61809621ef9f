/*
 * The control messages cmsgbuf knows, and the kernel's rules for them on send.
 *
 * Each row states what the kernel's send path checks for one (level, type):
 * __scm_send() and __sock_cmsg_send() in net/core/scm.c and net/core/sock.c,
 * ip_cmsg_send() in net/ipv4/ip_sockglue.c, udp_cmsg_send() in
 * net/ipv4/udp.c, ip6_datagram_send_ctl() in net/ipv6/datagram.c.
 * "once" marks kinds the kernel overwrites when a buffer holds two: the
 * second would silently replace the first, so push refuses it.
 */

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
#ifndef SCM_TS_OPT_ID
#define SCM_TS_OPT_ID 81
#endif

#define ANY_TYPE INT_MIN

/* struct cmsgbuf_ucred stands in for struct ucred: same size, same offsets. */
_Static_assert(sizeof(struct cmsgbuf_ucred) == sizeof(struct ucred), "ucred size");
_Static_assert(offsetof(struct cmsgbuf_ucred, pid) == offsetof(struct ucred, pid), "ucred pid");
_Static_assert(offsetof(struct cmsgbuf_ucred, uid) == offsetof(struct ucred, uid), "ucred uid");
_Static_assert(offsetof(struct cmsgbuf_ucred, gid) == offsetof(struct ucred, gid), "ucred gid");

/* The rows cmsgbuf.h's inline push knows by position. */
enum { ROW_RIGHTS, ROW_CREDENTIALS };

_Static_assert(1u << ROW_CREDENTIALS == CMSGBUF_PRIVATE_ONCE_CREDENTIALS,
	       "the inline push marks credentials with this row's once bit");

/*
 * The lookup is linear, so rows come in the order senders push them most:
 * descriptors and credentials, then what UDP senders pass with every
 * datagram (segmentation, source address, ECN, hop limit), then the rest.
 * The catch-all for SOL_SOCKET must come after every SOL_SOCKET row.
 */
static const struct cmsgbuf_kind kinds[] = {
	[ROW_RIGHTS] = { "SCM_RIGHTS", SOL_SOCKET, SCM_RIGHTS, CMSGBUF_SHAPE_FDS, 0, false, 0, 0, false },
	[ROW_CREDENTIALS] = { "SCM_CREDENTIALS", SOL_SOCKET, CMSGBUF_SCM_CREDENTIALS, CMSGBUF_SHAPE_EXACT,
			      sizeof(struct cmsgbuf_ucred), false, 0, 0, true },
	{ "UDP_SEGMENT", SOL_UDP, UDP_SEGMENT, CMSGBUF_SHAPE_EXACT, sizeof(unsigned short), false, 0, 0, true },
	{ "IP_PKTINFO", IPPROTO_IP, IP_PKTINFO, CMSGBUF_SHAPE_EXACT, sizeof(struct in_pktinfo), false, 0, 0, true },
	{ "IPV6_PKTINFO", IPPROTO_IPV6, IPV6_PKTINFO, CMSGBUF_SHAPE_AT_LEAST,
	  sizeof(struct in6_pktinfo), false, 0, 0, true },
	{ "IP_TOS", IPPROTO_IP, IP_TOS, CMSGBUF_SHAPE_INT_OR_BYTE, 0, true, 0, 255, true },
	{ "IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS, CMSGBUF_SHAPE_EXACT, sizeof(int), true, -1, 255, true },
	{ "IP_TTL", IPPROTO_IP, IP_TTL, CMSGBUF_SHAPE_EXACT, sizeof(int), true, 1, 255, true },
	{ "IPV6_HOPLIMIT", IPPROTO_IPV6, IPV6_HOPLIMIT, CMSGBUF_SHAPE_EXACT, sizeof(int), true, -1, 255, true },
	{ "IPV6_DONTFRAG", IPPROTO_IPV6, IPV6_DONTFRAG, CMSGBUF_SHAPE_EXACT, sizeof(int), true, 0, 1, true },
	{ "SO_MARK", SOL_SOCKET, SO_MARK, CMSGBUF_SHAPE_EXACT, sizeof(unsigned int), false, 0, 0, true },
	{ "SO_PRIORITY", SOL_SOCKET, SO_PRIORITY, CMSGBUF_SHAPE_EXACT, sizeof(unsigned int), false, 0, 0, true },
	{ "SCM_TXTIME", SOL_SOCKET, SCM_TXTIME, CMSGBUF_SHAPE_EXACT, sizeof(unsigned long long), false, 0, 0, true },
	{ "SO_TIMESTAMPING_OLD", SOL_SOCKET, SO_TIMESTAMPING_OLD, CMSGBUF_SHAPE_EXACT,
	  sizeof(unsigned int), false, 0, 0, true },
	{ "SO_TIMESTAMPING_NEW", SOL_SOCKET, SO_TIMESTAMPING_NEW, CMSGBUF_SHAPE_EXACT,
	  sizeof(unsigned int), false, 0, 0, true },
	{ "SCM_TS_OPT_ID", SOL_SOCKET, SCM_TS_OPT_ID, CMSGBUF_SHAPE_EXACT, sizeof(unsigned int), false, 0, 0, true },
	/* Every other SOL_SOCKET type: EINVAL from __scm_send()/__sock_cmsg_send(). */
	{ "SOL_SOCKET (other)", SOL_SOCKET, ANY_TYPE, CMSGBUF_SHAPE_REFUSED, 0, false, 0, 0, false },
};

_Static_assert(sizeof(kinds) / sizeof(kinds[0]) <= 32, "the once-only set is a 32-bit mask");

const struct cmsgbuf_kind *cmsgbuf_kind_find(int level, int type)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (kinds[i].level == level && (kinds[i].type == type || kinds[i].type == ANY_TYPE))
			return &kinds[i];
	return NULL;
}

unsigned int cmsgbuf_kind_index(const struct cmsgbuf_kind *k)
{
	return (unsigned int)(k - kinds);
}

/* The payload's fds: a nonzero multiple of int, each >= 0, total within SCM_MAX_FD. */
static int admit_fds(const struct cmsgbuf_msg *m, unsigned int *nfds)
{
	size_t n = m->len / sizeof(int);
	const unsigned char *p = m->data;

	if (n == 0 || m->len % sizeof(int) != 0 || n > CMSGBUF_MAX_FDS - *nfds)
		return EINVAL;
	for (size_t i = 0; i < n; i++) {
		int fd;

		memcpy(&fd, p + i * sizeof(int), sizeof(fd));
		if (fd < 0)
			return EINVAL;
	}
	*nfds += (unsigned int)n;
	return 0;
}

/* The int (or byte) value of a ranged kind; the length is already checked. */
static int value_of(const struct cmsgbuf_msg *m)
{
	int v;

	if (m->len == 1)
		return *(const unsigned char *)m->data;
	memcpy(&v, m->data, sizeof(v));
	return v;
}

int cmsgbuf_kind_admit(const struct cmsgbuf_msg *m, unsigned int *nfds, unsigned int *once)
{
	const struct cmsgbuf_kind *k = cmsgbuf_kind_find(m->level, m->type);
	unsigned int bit;

	if (!k)
		return 0;
	bit = 1u << cmsgbuf_kind_index(k);
	/* Every shape has its case: the switch's implicit default is never taken. */
	switch (k->shape) { /* GCOVR_EXCL_BR_LINE */
	case CMSGBUF_SHAPE_FDS:
		return admit_fds(m, nfds);
	case CMSGBUF_SHAPE_EXACT:
		if (m->len != k->size)
			return EINVAL;
		break;
	case CMSGBUF_SHAPE_AT_LEAST:
		if (m->len < k->size)
			return EINVAL;
		break;
	case CMSGBUF_SHAPE_INT_OR_BYTE:
		if (m->len != sizeof(int) && m->len != 1)
			return EINVAL;
		break;
	case CMSGBUF_SHAPE_REFUSED:
		return EINVAL;
	}
	if (k->ranged) {
		int v = value_of(m);

		if (v < k->min || v > k->max)
			return EINVAL;
	}
	if (k->once) {
		if (*once & bit)
			return EINVAL;
		*once |= bit;
	}
	return 0;
}
