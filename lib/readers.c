/*
 * The readers of the IP, UDP and timestamp messages a datagram brings.
 *
 * Every reader is one call to read_exact(): the message must be of the one
 * (level, type) and of the one payload size the kernel sends, or nothing is
 * written. The sizes are the kernel's (net/ipv4/ip_sockglue.c ip_cmsg_recv_*
 * and ip_recv_error, net/ipv6/datagram.c ip6_datagram_recv_*_ctl and
 * ipv6_recv_error, net/ipv4/udp.c udp_cmsg_recv, net/socket.c
 * __sock_recv_timestamp and sock_recv_drops); the static_asserts below pin
 * the layouts cmsgbuf declares to the kernel's and the libc's.
 */

#include "private.h"	/* first: it sets _GNU_SOURCE */

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/udp.h>
/* (musl-gcc leaves the kernel's headers out: there, the layouts go unchecked) */
#if defined(__has_include)
#if __has_include(<linux/errqueue.h>)
#include <linux/errqueue.h>
#define HAVE_LINUX_ERRQUEUE_H 1
#endif
#endif

#ifndef UDP_GRO
#define UDP_GRO 104
#endif
/* The values of asm-generic/socket.h, for libc headers older than Linux 5.1's split. */
#ifndef SO_TIMESTAMP_OLD
#define SO_TIMESTAMP_OLD 29
#define SO_TIMESTAMPNS_OLD 35
#define SO_TIMESTAMPING_OLD 37
#endif
#ifndef SO_TIMESTAMP_NEW
#define SO_TIMESTAMP_NEW 63
#define SO_TIMESTAMPNS_NEW 64
#define SO_TIMESTAMPING_NEW 65
#endif

_Static_assert(sizeof(struct cmsgbuf_in_pktinfo) == sizeof(struct in_pktinfo), "in_pktinfo");
_Static_assert(offsetof(struct cmsgbuf_in_pktinfo, ipi_spec_dst) ==
	       offsetof(struct in_pktinfo, ipi_spec_dst), "in_pktinfo");
_Static_assert(offsetof(struct cmsgbuf_in_pktinfo, ipi_addr) ==
	       offsetof(struct in_pktinfo, ipi_addr), "in_pktinfo");
_Static_assert(sizeof(struct cmsgbuf_in6_pktinfo) == sizeof(struct in6_pktinfo), "in6_pktinfo");
_Static_assert(offsetof(struct cmsgbuf_in6_pktinfo, ipi6_ifindex) ==
	       offsetof(struct in6_pktinfo, ipi6_ifindex), "in6_pktinfo");
_Static_assert(sizeof(struct cmsgbuf_sock_extended_err) == 16, "no padding before the offender");
#ifdef HAVE_LINUX_ERRQUEUE_H
_Static_assert(sizeof(struct cmsgbuf_sock_extended_err) == sizeof(struct sock_extended_err),
	       "sock_extended_err");
_Static_assert(offsetof(struct cmsgbuf_sock_extended_err, ee_origin) ==
	       offsetof(struct sock_extended_err, ee_origin), "sock_extended_err");
_Static_assert(offsetof(struct cmsgbuf_sock_extended_err, ee_info) ==
	       offsetof(struct sock_extended_err, ee_info), "sock_extended_err");
_Static_assert(offsetof(struct cmsgbuf_sock_extended_err, ee_data) ==
	       offsetof(struct sock_extended_err, ee_data), "sock_extended_err");
_Static_assert(CMSGBUF_TIMESTAMPING_SPACE == CMSG_SPACE(sizeof(struct scm_timestamping64)),
	       "SO_TIMESTAMPING_NEW is the larger form");
#endif

/*
 * The kernel's long (__kernel_long_t), of which the _OLD timestamps are made:
 * 8 bytes on 64-bit, 4 on 32-bit (the compat layer converts for a 32-bit
 * process on a 64-bit kernel), 8 on x32. Not the libc's time_t, which a
 * 32-bit libc may have made 64-bit.
 */
#if defined(__x86_64__) && defined(__ILP32__)
typedef long long kernel_long;
#else
typedef long kernel_long;
#endif

/*
 * Copies @m's payload to @out when @m is (@level, @type) with exactly @len
 * bytes of payload; otherwise EINVAL, and @out is untouched.
 */
static bool read_exact(const struct cmsgbuf_msg *m, int level, int type, void *out, size_t len)
{
	const void *p = CMSGBUF_PRIVATE_PAYLOAD(m);

	if (m->level != level || m->type != type || m->len != len || !p) {
		errno = EINVAL;
		return false;
	}
	memcpy(out, p, len);
	return true;
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_ip_pktinfo(const struct cmsgbuf_msg *m, struct cmsgbuf_in_pktinfo *info)
{
	return read_exact(m, IPPROTO_IP, IP_PKTINFO, info, sizeof(*info));
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_ipv6_pktinfo(const struct cmsgbuf_msg *m, struct cmsgbuf_in6_pktinfo *info)
{
	return read_exact(m, IPPROTO_IPV6, IPV6_PKTINFO, info, sizeof(*info));
}

/* One byte on receive (ip_cmsg_recv_tos), an int on send. */
CMSGBUF_PUBLIC bool cmsgbuf_msg_ip_tos(const struct cmsgbuf_msg *m, int *tos)
{
	unsigned char byte;

	if (!read_exact(m, IPPROTO_IP, IP_TOS, &byte, sizeof(byte)))
		return false;
	*tos = byte;
	return true;
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_ipv6_tclass(const struct cmsgbuf_msg *m, int *tclass)
{
	return read_exact(m, IPPROTO_IPV6, IPV6_TCLASS, tclass, sizeof(*tclass));
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_ip_ttl(const struct cmsgbuf_msg *m, int *ttl)
{
	return read_exact(m, IPPROTO_IP, IP_TTL, ttl, sizeof(*ttl));
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_ipv6_hoplimit(const struct cmsgbuf_msg *m, int *hoplimit)
{
	return read_exact(m, IPPROTO_IPV6, IPV6_HOPLIMIT, hoplimit, sizeof(*hoplimit));
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_udp_gro(const struct cmsgbuf_msg *m, int *segment_size)
{
	return read_exact(m, IPPROTO_UDP, UDP_GRO, segment_size, sizeof(*segment_size));
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_rxq_ovfl(const struct cmsgbuf_msg *m, uint32_t *drops)
{
	return read_exact(m, SOL_SOCKET, SO_RXQ_OVFL, drops, sizeof(*drops));
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_ip_origdstaddr(const struct cmsgbuf_msg *m, struct sockaddr_in *addr)
{
	return read_exact(m, IPPROTO_IP, IP_ORIGDSTADDR, addr, sizeof(*addr));
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_ipv6_origdstaddr(const struct cmsgbuf_msg *m, struct sockaddr_in6 *addr)
{
	return read_exact(m, IPPROTO_IPV6, IPV6_ORIGDSTADDR, addr, sizeof(*addr));
}

/*
 * The error and its offender, back to back, as ip_recv_error() and
 * ipv6_recv_error() lay them out (struct sock_extended_err is 16 bytes: no
 * padding before the address).
 */
static bool read_recverr(const struct cmsgbuf_msg *m, int level, int type,
			 struct cmsgbuf_sock_extended_err *ee, void *offender, size_t offender_len)
{
	unsigned char err[sizeof(*ee) + sizeof(struct sockaddr_in6)];

	if (!read_exact(m, level, type, err, sizeof(*ee) + offender_len))
		return false;
	memcpy(ee, err, sizeof(*ee));
	if (offender)
		memcpy(offender, err + sizeof(*ee), offender_len);
	return true;
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_ip_recverr(const struct cmsgbuf_msg *m, struct cmsgbuf_sock_extended_err *ee,
					   struct sockaddr_in *offender)
{
	return read_recverr(m, IPPROTO_IP, IP_RECVERR, ee, offender, sizeof(*offender));
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_ipv6_recverr(const struct cmsgbuf_msg *m, struct cmsgbuf_sock_extended_err *ee,
					     struct sockaddr_in6 *offender)
{
	return read_recverr(m, IPPROTO_IPV6, IPV6_RECVERR, ee, offender, sizeof(*offender));
}

/*
 * Timestamps. A stamp is a pair (seconds, fraction) of kernel longs in the
 * _OLD forms and of int64_t in the _NEW ones; the fraction is microseconds
 * for SO_TIMESTAMP, nanoseconds otherwise. decode() reads @n stamps of
 * either width from @data, checks every one, and only then stores them all.
 */
static size_t stamp_width(bool wide)
{
	if (wide)
		return sizeof(int64_t);
	return sizeof(kernel_long);
}

static bool decode(const unsigned char *data, bool wide, long per_second, struct cmsgbuf_timespec *ts,
		   size_t n)
{
	size_t width = stamp_width(wide);
	struct cmsgbuf_timespec out[3] = { { 0, 0 } };	/* for cppcheck: n is never 0 */

	for (size_t i = 0; i < n; i++) {
		int64_t sec, frac;

		if (wide) {
			memcpy(&sec, data + 2 * i * width, sizeof(sec));
			memcpy(&frac, data + (2 * i + 1) * width, sizeof(frac));
		} else {
			kernel_long s, f;

			memcpy(&s, data + 2 * i * width, sizeof(s));
			memcpy(&f, data + (2 * i + 1) * width, sizeof(f));
			sec = s;
			frac = f;
		}
		if (frac < 0 || frac >= per_second) {
			errno = EINVAL;
			return false;
		}
		out[i].tv_sec = sec;
		out[i].tv_nsec = (long)frac * (1000000000L / per_second);
	}
	memcpy(ts, out, n * sizeof(*ts));
	return true;
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_timestamp(const struct cmsgbuf_msg *m, struct cmsgbuf_timespec *ts)
{
	bool wide = m->type == SO_TIMESTAMP_NEW || m->type == SO_TIMESTAMPNS_NEW;
	bool micro = m->type == SO_TIMESTAMP_OLD || m->type == SO_TIMESTAMP_NEW;
	const void *p = CMSGBUF_PRIVATE_PAYLOAD(m);

	if (m->level != SOL_SOCKET ||
	    (!wide && !micro && m->type != SO_TIMESTAMPNS_OLD) ||
	    m->len != 2 * stamp_width(wide) || !p) {
		errno = EINVAL;
		return false;
	}
	return decode(p, wide, micro ? 1000000L : 1000000000L, ts, 1);
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_timestamping(const struct cmsgbuf_msg *m, struct cmsgbuf_timespec *ts)
{
	bool wide = m->type == SO_TIMESTAMPING_NEW;
	const void *p = CMSGBUF_PRIVATE_PAYLOAD(m);

	if (m->level != SOL_SOCKET || (!wide && m->type != SO_TIMESTAMPING_OLD) ||
	    m->len != 6 * stamp_width(wide) || !p) {
		errno = EINVAL;
		return false;
	}
	return decode(p, wide, 1000000000L, ts, 3);
}
