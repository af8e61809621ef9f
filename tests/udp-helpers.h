#ifndef CMSGBUF_TEST_UDP_HELPERS_H
#define CMSGBUF_TEST_UDP_HELPERS_H

/*
 * What test-udp.c and test-udp-send.c share: each is built once per family,
 * TEST_IP being 4 or 6, and includes this after helpers.h.
 */

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/udp.h>

/* asm-generic/socket.h's, which musl may not name */
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
#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#if TEST_IP == 4
#define FAMILY AF_INET
#define LEVEL IPPROTO_IP
#else
#define FAMILY AF_INET6
#define LEVEL IPPROTO_IPV6
#endif

union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
	struct sockaddr_storage ss;
};

static inline socklen_t addr_len(void)
{
	return FAMILY == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

static inline void set_int(int fd, int level, int name, int value)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) != 0)
		fail_msg("setsockopt(%d, %d, %d): %s", level, name, value, strerror(errno));
}

#endif
