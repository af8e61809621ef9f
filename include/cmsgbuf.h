#ifndef CMSGBUF_H
#define CMSGBUF_H

/**
 * DOC: cmsgbuf - strict control-message buffers for sendmsg(2) and recvmsg(2)
 *
 * The control ("ancillary") buffer of sendmsg(2) carries file descriptors
 * (SCM_RIGHTS), credentials (SCM_CREDENTIALS) and the IP/UDP control messages
 * (UDP_SEGMENT, IP_PKTINFO, IP_TOS, SCM_TXTIME, ...). cmsgbuf builds that
 * buffer in memory the caller owns, and walks buffers it did not build:
 *
 * assumes: int sock, file, pipe_end; struct iovec iov;
 *	CMSGBUF_BUFFER_TYPE(CMSGBUF_RIGHTS_SPACE(2)) space;
 *	struct cmsgbuf_send b;
 *	int fds[2] = { file, pipe_end };
 *
 *	cmsgbuf_send_init(&b, &space, sizeof(space));
 *	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 2)))
 *		err(1, "cmsgbuf_send_push");
 *	cmsgbuf_sendmsg(sock, &iov, 1, &b, 0);
 *
 * Promises:
 *  - Any caller buffer works, whatever its address and size, 0 bytes included.
 *    cmsgbuf uses the part of it that is aligned for struct cmsghdr, and never
 *    reads or writes a byte outside it.
 *  - A push is all-or-nothing: when it fails, the buffer is byte for byte what
 *    it was, and errno says why.
 *  - Every byte handed to the kernel is initialised: padding is zero.
 *  - A message the kernel would reject or silently drop, or that would
 *    silently override one already in the buffer, is refused at push time
 *    (see cmsgbuf_send_push()), unless the caller made it with
 *    cmsgbuf_unchecked() for a kernel newer than cmsgbuf's rules.
 *  - The walker never reads outside the buffer and always ends, whatever the
 *    bytes hold.
 *
 * Nothing allocates memory. All state lives in the caller's structs.
 *
 * Errors are reported the C way: functions that can fail return false (or -1)
 * and set errno.
 */

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Platform facts: the one place a port to another system changes.
 *
 * CMSGBUF_HDR_ALIGN is the alignment of struct cmsghdr: the start of every
 * buffer cmsgbuf builds or walks is aligned to it, and since messages are laid
 * out at multiples of CMSG_ALIGN() from the start, so is every header.
 * CMSGBUF_MAX_FDS is the kernel's SCM_MAX_FD: the most descriptors one
 * sendmsg(2) may carry, across all its SCM_RIGHTS messages.
 * CMSGBUF_SCM_CREDENTIALS is SCM_CREDENTIALS, which the libcs declare only
 * under _GNU_SOURCE. CMSGBUF_SCM_PIDFD is SCM_PIDFD (Linux 6.5 on), the
 * received message that carries a pidfd, which older libc headers lack.
 */
#if defined(__cplusplus)
#define CMSGBUF_HDR_ALIGN alignof(struct cmsghdr)
#elif defined(__GNUC__) && !(defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L)
/* C99 has no _Alignof; gcc and clang have this keyword in every mode. */
#define CMSGBUF_HDR_ALIGN __alignof__(struct cmsghdr)
#else
#define CMSGBUF_HDR_ALIGN _Alignof(struct cmsghdr)
#endif
#define CMSGBUF_MAX_FDS 253
#ifdef SCM_CREDENTIALS
#define CMSGBUF_SCM_CREDENTIALS SCM_CREDENTIALS
#else
#define CMSGBUF_SCM_CREDENTIALS 2
#endif
#ifdef SCM_PIDFD
#define CMSGBUF_SCM_PIDFD SCM_PIDFD
#else
#define CMSGBUF_SCM_PIDFD 4
#endif

/*
 * The functions marked CMSGBUF_INLINE are C99 inline functions: their
 * definitions at the end of this header let the compiler inline the common
 * path into the caller, and the library exports each as an ordinary symbol
 * too, for callers that take its address, build without optimisation, or
 * call from another language. A C caller's object file never defines them:
 * under GNU89 inline semantics (gcc -fgnu89-inline), where a plain inline
 * definition would be emitted in every file, extern inline says the same.
 * In C++ they are ordinary inline functions: a copy the compiler keeps is
 * the caller's own weak symbol, with the caller's visibility.
 */
#if defined(__GNUC_GNU_INLINE__) && !defined(__cplusplus)
#define CMSGBUF_PRIVATE_INLINE __attribute__((gnu_inline)) extern inline
#else
#define CMSGBUF_PRIVATE_INLINE inline
#endif
/* The library's own build (lib/meson.build defines CMSGBUF_PRIVATE_BUILD) exports its copies. */
#if defined(CMSGBUF_PRIVATE_BUILD) && defined(__GNUC__)
#define CMSGBUF_INLINE __attribute__((visibility("default"))) CMSGBUF_PRIVATE_INLINE
#else
#define CMSGBUF_INLINE CMSGBUF_PRIVATE_INLINE
#endif
/* private: a null pointer constant that C++ warnings accept too */
#ifdef __cplusplus
#define CMSGBUF_PRIVATE_NULL nullptr
#else
#define CMSGBUF_PRIVATE_NULL NULL
#endif
/*
 * private: @v as the type of @field, which differs between libcs (struct
 * msghdr's msg_iovlen is a size_t in glibc, an int in musl), so that the
 * inline code converts without warnings on either
 */
#if defined(__cplusplus)
/* (a template: g++ -Wuseless-cast reports a cast to the type a value has) */
extern "C++" {
template <typename T, typename U> inline T cmsgbuf_private_as(U v)
{
	return static_cast<T>(v);
}
}
#define CMSGBUF_PRIVATE_AS(field, v) cmsgbuf_private_as<decltype(field)>(v)
#elif defined(__GNUC__)
#define CMSGBUF_PRIVATE_AS(field, v) ((__typeof__(field))(v))
#else
#define CMSGBUF_PRIVATE_AS(field, v) (v)
#endif

/**
 * struct cmsgbuf_ucred - credentials, laid out as Linux's struct ucred
 * @pid: process id; 0 in received credentials means "none" (cmsgbuf_ucred_none())
 * @uid: user id; received without credentials, the overflow uid (65534)
 * @gid: group id; received without credentials, the overflow gid (65534)
 *
 * struct ucred is only declared under _GNU_SOURCE; this one needs no feature
 * macro and has the same layout.
 */
struct cmsgbuf_ucred {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/*
 * Space macros: integer constant expressions, usable as array sizes.
 *
 * CMSGBUF_RIGHTS_SPACE(n), CMSGBUF_CREDENTIALS_SPACE and CMSGBUF_RAW_SPACE(len)
 * are the bytes one message takes in a buffer (its CMSG_SPACE()).
 *
 * CMSGBUF_BUFFER_TYPE(total) is the type of a buffer for @total such bytes:
 * a union of unsigned char bytes[total] and a size_t, which aligns it for
 * struct cmsghdr (whose members are a size_t or narrower cmsg_len and
 * ints; struct cmsghdr itself, which ends in a flexible array in glibc, may
 * not be a struct member in ISO C). Its sizeof is @total; a @total that is
 * not a multiple of CMSG_ALIGN(1), as a CMSG_LEN() often is, fails to compile.
 * It holds exactly those messages wherever it lies (on the stack, static, a
 * member of any struct); typedef it to give it a name:
 *
 * assumes: struct cmsgbuf_send b;
 *	CMSGBUF_BUFFER_TYPE(CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE) space;
 *
 *	cmsgbuf_send_init(&b, &space, sizeof(space));
 *
 * CMSGBUF_SPACE(total) sizes a plain byte array instead: it adds, once, the
 * slack needed to align an array that may start at any address, so that
 *
 * assumes: nothing
 *	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2) +
 *					  CMSGBUF_CREDENTIALS_SPACE)];
 *
 * holds exactly those two messages wherever space lies. Without it the array
 * holds them only where it happens to be aligned: a stack array often is, the
 * same array as a struct member after a char is not, and there the last push
 * fails with ENOSPC. A change of layout far away shows the bug.
 */
#define CMSGBUF_RAW_SPACE(len) CMSG_SPACE(len)
#define CMSGBUF_RIGHTS_SPACE(n) CMSG_SPACE((n) * sizeof(int))
#define CMSGBUF_CREDENTIALS_SPACE CMSG_SPACE(sizeof(struct cmsgbuf_ucred))
#define CMSGBUF_BUFFER_TYPE(total) \
	union { \
		unsigned char bytes[(total)]; \
		size_t cmsgbuf_private_align; \
		unsigned char cmsgbuf_private_total_is_not_whole_messages[ \
			(total) % CMSG_ALIGN(1) == 0 ? 1 : -1]; \
	}
#define CMSGBUF_SPACE(total) ((total) + CMSGBUF_HDR_ALIGN - 1)

/*
 * private: an anonymous union is C11 and C++; in C99, gcc and clang take it
 * as an extension, which __extension__ keeps -Wpedantic quiet about
 */
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L)
#define CMSGBUF_PRIVATE_ANONYMOUS
#elif defined(__GNUC__)
#define CMSGBUF_PRIVATE_ANONYMOUS __extension__
#else
#error "cmsgbuf.h needs C11, C++11 or GNU C99 (struct cmsgbuf_msg holds an anonymous union)"
#endif

/**
 * struct cmsgbuf_msg - one control message, as pushed or as received
 * @level: cmsg_level, such as SOL_SOCKET or IPPROTO_IP
 * @type: cmsg_type, such as SCM_RIGHTS or IP_TOS
 * @data: the payload, when @held is false; may be NULL only when @len is 0
 * @value: the payload, when @held is true: @len bytes, at most 8
 * @len: the payload's length in bytes
 * @unchecked: true only in a message of cmsgbuf_unchecked(), which push
 *             checks for its structure alone; every other constructor, and
 *             cmsgbuf_recv_next(), set it false (so does zeroing the struct,
 *             as a message filled in field by field needs)
 * @held: true when the message holds its payload itself, in @value, as the
 *        value constructors below make it (cmsgbuf_ip_tos(), ...); false
 *        when it points at it (@data): every other constructor, and
 *        cmsgbuf_recv_next(), whose @data points into the receive buffer
 *
 * A message made by cmsgbuf_rights(), cmsgbuf_credentials(), cmsgbuf_raw(),
 * cmsgbuf_unchecked(), cmsgbuf_ip_pktinfo() or cmsgbuf_ipv6_pktinfo() only
 * points at its payload: nothing is copied until it is pushed, and the
 * payload must live until then. A value constructor copies its value into
 * the message, so that push(&b, cmsgbuf_ip_tos(0x2e)) needs no variable;
 * the message may be copied, returned, kept in an array for
 * cmsgbuf_send_extend(), and its value goes with it. @data and @value
 * share their bytes: a struct returned by value cannot point at its own
 * storage, and the union keeps the struct at its size (32 bytes on 64-bit
 * Linux). The packet-info structs (12 and 20 bytes) are larger than @value,
 * so their constructors point at the caller's.
 */
struct cmsgbuf_msg {
	int level;
	int type;
	CMSGBUF_PRIVATE_ANONYMOUS union {
		const void *data;
		unsigned char value[8];
	};
	size_t len;
	bool unchecked;
	bool held;
};

/**
 * cmsgbuf_rights() - an SCM_RIGHTS message carrying @n descriptors
 * @fds: the descriptors; they are copied by number when the message is pushed,
 *       and stay owned by the caller (the kernel duplicates them on send)
 * @n: how many
 */
static inline struct cmsgbuf_msg cmsgbuf_rights(const int *fds, size_t n)
{
	struct cmsgbuf_msg m = { SOL_SOCKET, SCM_RIGHTS, { fds }, 0, false, false };

	/* A count too large to express in bytes keeps a length push refuses. */
	m.len = n > (size_t)INT_MAX / sizeof(int) ? (size_t)-1 : n * sizeof(int);
	return m;
}

/**
 * cmsgbuf_credentials() - an SCM_CREDENTIALS message
 * @cred: the credentials to claim; the kernel checks that the sender may
 *        claim them (sendmsg(2) fails with EPERM otherwise)
 *
 * They reach only a receiver whose socket has SO_PASSCRED on when it
 * receives. Without it the kernel drops them silently: push and sendmsg(2)
 * succeed, and the receiver gets no control message and no MSG_CTRUNC. The
 * sender's own SO_PASSCRED does not matter, and push cannot know the
 * receiver's. glibc declares SO_PASSCRED only under _DEFAULT_SOURCE (which
 * _GNU_SOURCE and gcc's default gnu modes imply, -std=c99, c11 or c17 not):
 * define it before the first #include. musl declares it always.
 */
static inline struct cmsgbuf_msg cmsgbuf_credentials(const struct cmsgbuf_ucred *cred)
{
	struct cmsgbuf_msg m = { SOL_SOCKET, CMSGBUF_SCM_CREDENTIALS, { cred }, sizeof(*cred), false, false };

	return m;
}

/**
 * cmsgbuf_raw() - any control message, given by level, type and payload
 *
 * Push still applies every rule it knows for (@level, @type): a raw
 * SCM_RIGHTS message is checked like one made by cmsgbuf_rights(), and a
 * type the kernel does not take at SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6 or
 * SOL_UDP is refused (see cmsgbuf_send_push()).
 */
static inline struct cmsgbuf_msg cmsgbuf_raw(int level, int type, const void *data, size_t len)
{
	struct cmsgbuf_msg m = { level, type, { data }, len, false, false };

	return m;
}

/**
 * cmsgbuf_unchecked() - a control message push does not judge, for kernels newer than cmsgbuf
 *
 * For a kind, or a value, that a newer kernel takes and cmsgbuf's table does
 * not know (SCM_DEVMEM_DMABUF before cmsgbuf knew it, a new timestamping
 * flag): push applies only the checks that keep the buffer sound (a NULL
 * payload with a length, EOVERFLOW, ENOSPC; the layout, the zeroed padding,
 * all or nothing) and none of the kernel's rules, which are then the
 * kernel's alone to apply in sendmsg(2). An unchecked message counts for the
 * rules of the checked messages pushed with it: its descriptors count
 * towards CMSGBUF_MAX_FDS, and a checked message that would override it is
 * refused.
 */
static inline struct cmsgbuf_msg cmsgbuf_unchecked(int level, int type, const void *data, size_t len)
{
	struct cmsgbuf_msg m = { level, type, { data }, len, true, false };

	return m;
}

/*
 * Value constructors: the kinds a UDP/IP sender passes with its datagrams,
 * each taking its value in its C type, each with its space macro (the
 * message's CMSG_SPACE(), an integer constant expression like those above).
 *
 * Every value constructor but the two packet-info ones copies its value
 * into the message (see struct cmsgbuf_msg), so that a push needs no
 * variable:
 *
 * assumes: int sock; struct sockaddr_in to; struct iovec iov;
 *	CMSGBUF_BUFFER_TYPE(CMSGBUF_UDP_SEGMENT_SPACE + CMSGBUF_IP_TOS_SPACE) space;
 *	struct cmsgbuf_send b;
 *
 *	cmsgbuf_send_init(&b, &space, sizeof(space));
 *	if (!cmsgbuf_send_push(&b, cmsgbuf_udp_segment(1200)) ||
 *	    !cmsgbuf_send_push(&b, cmsgbuf_ip_tos(0x2e << 2 | 1)))	// EF, ECT(1)
 *		err(1, "push");
 *	cmsgbuf_sendmsg_v4(sock, &to, &iov, 1, &b, 0);
 *
 * Push applies the kernel's rule for each value (see each constructor):
 * the integer types are those of the kernel's payload, so that a value it
 * refuses (an IP_TTL of 0, an IP_TOS of 256) is refused by push with EINVAL
 * rather than cut to fit. And each kind sets a field of the kernel's send
 * state that no other message in the buffer may set (see
 * cmsgbuf_send_push()). What push cannot know stays the kernel's to refuse
 * in sendmsg(2): a capability, an option of the socket, the source address,
 * the route. Each constructor says which. And the buffer does not know its
 * socket's family: the kernel ignores, without a word, the IPPROTO_IP kinds
 * on an IPv6 socket sending to an IPv6 address, and the IPPROTO_IPV6 kinds
 * on an IPv4 socket (an IPv6 socket sending to an IPv4-mapped address takes
 * both).
 */

/* private: constants the libcs' headers may lack (Linux's generic values) */
#define CMSGBUF_PRIVATE_UDP_SEGMENT 103
#ifdef SO_MARK
#define CMSGBUF_PRIVATE_SO_MARK SO_MARK
#else
#define CMSGBUF_PRIVATE_SO_MARK 36
#endif
#ifdef SO_PRIORITY
#define CMSGBUF_PRIVATE_SO_PRIORITY SO_PRIORITY
#else
#define CMSGBUF_PRIVATE_SO_PRIORITY 12
#endif
#ifdef SCM_TXTIME
#define CMSGBUF_PRIVATE_SCM_TXTIME SCM_TXTIME
#else
#define CMSGBUF_PRIVATE_SCM_TXTIME 61
#endif
/* not SO_TIMESTAMPING, which a libc may define as SO_TIMESTAMPING_NEW (Linux 5.1 on) */
#ifdef SO_TIMESTAMPING_OLD
#define CMSGBUF_PRIVATE_SO_TIMESTAMPING SO_TIMESTAMPING_OLD
#else
#define CMSGBUF_PRIVATE_SO_TIMESTAMPING 37
#endif
#ifdef SCM_TS_OPT_ID
#define CMSGBUF_PRIVATE_SCM_TS_OPT_ID SCM_TS_OPT_ID
#else
#define CMSGBUF_PRIVATE_SCM_TS_OPT_ID 81
#endif
/**
 * struct cmsgbuf_in_pktinfo - laid out as struct in_pktinfo (IP_PKTINFO)
 * @ipi_ifindex: received: the interface the datagram arrived on; sent: the
 *               outgoing interface (0: the route's)
 * @ipi_spec_dst: received: the local address a reply would be sent from;
 *                sent: the source address (0: the route's)
 * @ipi_addr: received: the destination address in the IP header; ignored on send
 *
 * struct in_pktinfo is declared only under _DEFAULT_SOURCE in glibc; this
 * one needs no feature macro and has the same layout and member names.
 * cmsgbuf_msg_ip_pktinfo() reads one, cmsgbuf_ip_pktinfo() sends one.
 */
struct cmsgbuf_in_pktinfo {
	int ipi_ifindex;
	struct in_addr ipi_spec_dst;
	struct in_addr ipi_addr;
};

/**
 * struct cmsgbuf_in6_pktinfo - laid out as struct in6_pktinfo (IPV6_PKTINFO)
 * @ipi6_addr: received: the destination address in the IP header; sent: the
 *             source address (:: for the route's)
 * @ipi6_ifindex: received: the interface the datagram arrived on; sent: the
 *                outgoing interface (0: the route's)
 *
 * struct in6_pktinfo is declared only under _GNU_SOURCE in glibc.
 * cmsgbuf_msg_ipv6_pktinfo() reads one, cmsgbuf_ipv6_pktinfo() sends one.
 */
struct cmsgbuf_in6_pktinfo {
	struct in6_addr ipi6_addr;
	unsigned int ipi6_ifindex;
};

#define CMSGBUF_UDP_SEGMENT_SPACE CMSG_SPACE(sizeof(uint16_t))
#define CMSGBUF_IP_PKTINFO_SPACE CMSG_SPACE(sizeof(struct cmsgbuf_in_pktinfo))
#define CMSGBUF_IPV6_PKTINFO_SPACE CMSG_SPACE(sizeof(struct cmsgbuf_in6_pktinfo))
#define CMSGBUF_IP_TOS_SPACE CMSG_SPACE(sizeof(int))
#define CMSGBUF_IPV6_TCLASS_SPACE CMSG_SPACE(sizeof(int))
#define CMSGBUF_IP_TTL_SPACE CMSG_SPACE(sizeof(int))
#define CMSGBUF_IPV6_HOPLIMIT_SPACE CMSG_SPACE(sizeof(int))
#define CMSGBUF_IPV6_DONTFRAG_SPACE CMSG_SPACE(sizeof(int))
#define CMSGBUF_TXTIME_SPACE CMSG_SPACE(sizeof(uint64_t))
#define CMSGBUF_MARK_SPACE CMSG_SPACE(sizeof(uint32_t))
#define CMSGBUF_PRIORITY_SPACE CMSG_SPACE(sizeof(uint32_t))
#define CMSGBUF_TX_TIMESTAMPING_SPACE CMSG_SPACE(sizeof(uint32_t))
#define CMSGBUF_TS_OPT_ID_SPACE CMSG_SPACE(sizeof(uint32_t))

/*
 * private: where the payload of message @m lies: in the message (@held) or
 * at @data. NULL for a held message that claims more bytes than @value has,
 * which no constructor makes: a reader then refuses it rather than read
 * past. (A macro: the header's C99 inline functions may not call a static one.)
 */
#define CMSGBUF_PRIVATE_PAYLOAD(m)                                                  \
	(!(m)->held ? (m)->data                                                     \
	 : (m)->len <= sizeof((m)->value) ? (const void *)(m)->value : CMSGBUF_PRIVATE_NULL)

/* private: a message holding the @len bytes at @value (at most 8), its padding zeroed */
static inline struct cmsgbuf_msg cmsgbuf_private_held(int level, int type, const void *value, size_t len)
{
	struct cmsgbuf_msg m;

	memset(&m, 0, sizeof(m));
	m.level = level;
	m.type = type;
	memcpy(m.value, value, len);
	m.len = len;
	m.held = true;
	return m;
}

/**
 * cmsgbuf_udp_segment() - UDP_SEGMENT: send one buffer as datagrams of @size bytes (GSO)
 * @size: the payload bytes of each datagram but the last, which carries the rest
 *
 * One sendmsg(2) of n bytes then leaves as n / @size datagrams of @size
 * bytes, and one of the rest. The kernel takes any u16 (0: no
 * segmentation). Push cannot know what the kernel checks at send time
 * (udp_send_skb()), and refuses with EINVAL: a @size whose datagrams would
 * not fit the route's MTU with their headers, more segments than
 * UDP_MAX_SEGMENTS, a socket with checksums off (SO_NO_CHECK). Sets the
 * kernel's gso_size: one per buffer.
 */
static inline struct cmsgbuf_msg cmsgbuf_udp_segment(uint16_t size)
{
	return cmsgbuf_private_held(IPPROTO_UDP, CMSGBUF_PRIVATE_UDP_SEGMENT, &size, sizeof(size));
}

/**
 * cmsgbuf_ip_pktinfo() - IP_PKTINFO: the source address and interface of an IPv4 datagram
 * @info: ipi_spec_dst is the source address (0: the route's), ipi_ifindex
 *        the outgoing interface (0: the route's); ipi_addr is ignored.
 *        The message points at it: it must live until pushed.
 *
 * The classic use: a server bound to a wildcard address replies from the
 * address a datagram came to (ipi_addr of the received IP_PKTINFO, copied
 * to ipi_spec_dst: cmsgbuf_msg_ip_pktinfo() reads the same struct). The
 * kernel takes exactly one struct in_pktinfo (12 bytes). Push cannot know whether the address is one of the host's
 * (without IP_FREEBIND or IP_TRANSPARENT on the socket, sendmsg(2) fails
 * with EINVAL otherwise) or the interface exists. Sets the kernel's source
 * address: one per buffer, with cmsgbuf_ipv6_pktinfo() (an IPv6 socket
 * sending to an IPv4-mapped address takes both).
 */
static inline struct cmsgbuf_msg cmsgbuf_ip_pktinfo(const struct cmsgbuf_in_pktinfo *info)
{
	struct cmsgbuf_msg m = { IPPROTO_IP, IP_PKTINFO, { info }, sizeof(*info), false, false };

	return m;
}

/**
 * cmsgbuf_ipv6_pktinfo() - IPV6_PKTINFO: the source address and interface of an IPv6 datagram
 * @info: ipi6_addr is the source address (:: for the route's), ipi6_ifindex
 *        the outgoing interface (0: the route's). The message points at
 *        it: it must live until pushed.
 *
 * The kernel takes at least one struct in6_pktinfo (20 bytes). Push cannot
 * know whether the address is one of the host's (without IPV6_FREEBIND or
 * IPV6_TRANSPARENT on the socket, sendmsg(2) fails with EINVAL otherwise),
 * or the interface exists (ENODEV). Sets the kernel's source address: one
 * per buffer, with cmsgbuf_ip_pktinfo().
 */
static inline struct cmsgbuf_msg cmsgbuf_ipv6_pktinfo(const struct cmsgbuf_in6_pktinfo *info)
{
	struct cmsgbuf_msg m = { IPPROTO_IPV6, IPV6_PKTINFO, { info }, sizeof(*info), false, false };

	return m;
}

/**
 * cmsgbuf_ip_tos() - IP_TOS: the type-of-service byte of one IPv4 datagram (DSCP and ECN)
 * @tos: 0 to 255; push refuses others, as the kernel does
 *
 * Sent as an int (the kernel also takes one byte; it sends one byte up to a
 * receiver with IP_RECVTOS). The kernel derives the datagram's priority
 * from it too, so it sets two fields of the kernel's send state: one per
 * buffer, and not with cmsgbuf_priority(). Push cannot know the socket: an
 * IPv6 socket sending to an IPv6 address ignores it (use
 * cmsgbuf_ipv6_tclass() there).
 */
static inline struct cmsgbuf_msg cmsgbuf_ip_tos(int tos)
{
	return cmsgbuf_private_held(IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
}

/**
 * cmsgbuf_ipv6_tclass() - IPV6_TCLASS: the traffic class of one IPv6 datagram (DSCP and ECN)
 * @tclass: 0 to 255, or -1 for the socket's; push refuses others, as the kernel does
 *
 * One per buffer. Push cannot know the socket: an IPv4 socket ignores it.
 */
static inline struct cmsgbuf_msg cmsgbuf_ipv6_tclass(int tclass)
{
	return cmsgbuf_private_held(IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof(tclass));
}

/**
 * cmsgbuf_ip_ttl() - IP_TTL: the time to live of one IPv4 datagram
 * @ttl: 1 to 255; push refuses others, as the kernel does
 *
 * One per buffer. Push cannot know the socket: an IPv6 socket sending to an
 * IPv6 address ignores it (use cmsgbuf_ipv6_hoplimit() there).
 */
static inline struct cmsgbuf_msg cmsgbuf_ip_ttl(int ttl)
{
	return cmsgbuf_private_held(IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
}

/**
 * cmsgbuf_ipv6_hoplimit() - IPV6_HOPLIMIT: the hop limit of one IPv6 datagram
 * @hoplimit: 0 to 255, or -1 for the route's; push refuses others, as the kernel does
 *
 * One per buffer (IPV6_2292HOPLIMIT sets the same field). Push cannot know
 * the socket: an IPv4 socket ignores it.
 */
static inline struct cmsgbuf_msg cmsgbuf_ipv6_hoplimit(int hoplimit)
{
	return cmsgbuf_private_held(IPPROTO_IPV6, IPV6_HOPLIMIT, &hoplimit, sizeof(hoplimit));
}

/**
 * cmsgbuf_ipv6_dontfrag() - IPV6_DONTFRAG: fail rather than fragment one IPv6 datagram
 * @dontfrag: 1 to fail with EMSGSIZE a datagram larger than the path MTU,
 *            0 to fragment it; push refuses others, as the kernel does
 *
 * One per buffer. Push cannot know the socket, nor the path MTU: an IPv4
 * socket ignores it.
 */
static inline struct cmsgbuf_msg cmsgbuf_ipv6_dontfrag(int dontfrag)
{
	return cmsgbuf_private_held(IPPROTO_IPV6, IPV6_DONTFRAG, &dontfrag, sizeof(dontfrag));
}

/**
 * cmsgbuf_txtime() - SCM_TXTIME: when to send one datagram
 * @ns: the time, in nanoseconds of the clock the socket's SO_TXTIME names
 *
 * The kernel takes any u64. Push cannot know whether the socket has
 * SO_TXTIME on: without it, sendmsg(2) fails with EINVAL. The time is kept
 * only by a qdisc that honours it (etf, fq); elsewhere (loopback's noqueue)
 * the datagram leaves at once. One per buffer.
 */
static inline struct cmsgbuf_msg cmsgbuf_txtime(uint64_t ns)
{
	return cmsgbuf_private_held(SOL_SOCKET, CMSGBUF_PRIVATE_SCM_TXTIME, &ns, sizeof(ns));
}

/**
 * cmsgbuf_mark() - SO_MARK: the mark of one packet, for routing and filtering
 * @mark: any u32
 *
 * Push cannot know the sender's capabilities: without CAP_NET_RAW or
 * CAP_NET_ADMIN, sendmsg(2) fails with EPERM. AF_UNIX refuses SO_MARK
 * (EINVAL). One per buffer.
 */
static inline struct cmsgbuf_msg cmsgbuf_mark(uint32_t mark)
{
	return cmsgbuf_private_held(SOL_SOCKET, CMSGBUF_PRIVATE_SO_MARK, &mark, sizeof(mark));
}

/**
 * cmsgbuf_priority() - SO_PRIORITY: the queueing priority of one packet
 * @priority: any u32
 *
 * Push cannot know the sender's capabilities: above 6, without CAP_NET_RAW
 * or CAP_NET_ADMIN, sendmsg(2) fails with EPERM. One per buffer, and not
 * with cmsgbuf_ip_tos(), which sets the priority too.
 */
static inline struct cmsgbuf_msg cmsgbuf_priority(uint32_t priority)
{
	return cmsgbuf_private_held(SOL_SOCKET, CMSGBUF_PRIVATE_SO_PRIORITY, &priority, sizeof(priority));
}

/**
 * cmsgbuf_tx_timestamping() - SO_TIMESTAMPING: which transmit timestamps to record for one send
 * @flags: SOF_TIMESTAMPING_TX_HARDWARE, _TX_SOFTWARE, _TX_SCHED, _TX_ACK,
 *         _TX_COMPLETION (Linux 6.15), or'ed; push refuses any other bit
 *         (SOF_TIMESTAMPING_TX_RECORD_MASK), as the kernel does
 *
 * The timestamps come back on the socket's error queue (recvmsg(2) with
 * MSG_ERRQUEUE), but only in the forms the socket's SO_TIMESTAMPING option
 * asks to report (SOF_TIMESTAMPING_SOFTWARE, _RAW_HARDWARE), which push
 * cannot know: without them nothing comes. Sent as SO_TIMESTAMPING_OLD,
 * which every kernel takes (the flags are the same in both names). One per
 * buffer.
 */
static inline struct cmsgbuf_msg cmsgbuf_tx_timestamping(uint32_t flags)
{
	return cmsgbuf_private_held(SOL_SOCKET, CMSGBUF_PRIVATE_SO_TIMESTAMPING, &flags, sizeof(flags));
}

/**
 * cmsgbuf_ts_opt_id() - SCM_TS_OPT_ID: the id the transmit timestamps of one send report
 * @id: any u32; the timestamps report it in ee_data
 *
 * Linux 6.13 on. Push cannot know whether the socket has
 * SOF_TIMESTAMPING_OPT_ID in its SO_TIMESTAMPING option: without it, or on
 * TCP, or on an older kernel, sendmsg(2) fails with EINVAL. One per buffer.
 */
static inline struct cmsgbuf_msg cmsgbuf_ts_opt_id(uint32_t id)
{
	return cmsgbuf_private_held(SOL_SOCKET, CMSGBUF_PRIVATE_SCM_TS_OPT_ID, &id, sizeof(id));
}

/**
 * struct cmsgbuf_send - a control buffer being filled for sendmsg(2)
 *
 * Lives wherever the caller puts it (usually the stack) and points into the
 * caller's space. Every field is private: use the functions below.
 */
struct cmsgbuf_send {
	unsigned char *base;	/* private: aligned start of the usable space */
	size_t cap;		/* private: usable bytes from base */
	size_t len;		/* private: bytes holding messages */
	unsigned int nfds;	/* private: descriptors across rights messages */
	unsigned int once;	/* private: the kernel's send-state fields set (lib/kinds.h) */
};

/* private: the bit of SCM_CREDENTIALS in cmsgbuf_send.once (lib/kinds.h) */
#define CMSGBUF_PRIVATE_ONCE_CREDENTIALS 2u

/* An empty buffer, without space: every push fails with ENOSPC. */
#define CMSGBUF_SEND_EMPTY { NULL, 0, 0, 0, 0 }

/**
 * cmsgbuf_send_init() - start an empty buffer in the caller's space
 * @b: the buffer
 * @space: any address; may be NULL when @size is 0
 * @size: any size
 *
 * Uses the bytes of [@space, @space + @size) from the first one aligned for
 * struct cmsghdr on, at most INT_MAX of them (the most a control buffer can
 * hold). A region too small to hold that byte gives an empty buffer without
 * space. Nothing is written until a push.
 */
CMSGBUF_INLINE void cmsgbuf_send_init(struct cmsgbuf_send *b, void *space, size_t size);

/* cmsgbuf_send_clear() - delete every message; the space stays. */
CMSGBUF_INLINE void cmsgbuf_send_clear(struct cmsgbuf_send *b);

/**
 * cmsgbuf_send_push() - append one message
 *
 * Return: true when the message was added. false when it was not; then the
 * buffer, its length and every byte of its space are as they were, and errno
 * is, in the order checked:
 *  - EINVAL: @msg.data is NULL with a nonzero length, or @msg.held is true
 *    with a length above sizeof(@msg.value);
 *  - EOVERFLOW: the payload length exceeds INT_MAX, or the buffer's total
 *    would (the kernel refuses a control length above INT_MAX with ENOBUFS;
 *    it also refuses control data of net.core.optmem_max bytes or more, 128
 *    KiB by default, with ENOBUFS, or from a 32-bit process on a 64-bit
 *    kernel, which counts them converted to its own layout, each message 4
 *    to 8 bytes longer, with ENOMEM: a limit of the machine that push does
 *    not know; a buffer given less space than that, the space being its cap,
 *    stays below it, in such a 32-bit process less 8 bytes per message,
 *    unless the socket itself holds option memory, which counts against
 *    the same limit: a socket filter, IP options, multicast memberships);
 *  - EINVAL: the kernel would reject or drop the message, or let it override
 *    one already in the buffer:
 *    - SCM_RIGHTS: no descriptor (the kernel ignores it), a length that is not
 *      a multiple of sizeof(int) (the kernel ignores the bytes left over), a
 *      negative descriptor (EBADF), or more than
 *      CMSGBUF_MAX_FDS descriptors across all rights messages in the buffer
 *      (the kernel merges them into one and refuses more than SCM_MAX_FD);
 *    - SCM_CREDENTIALS: a payload other than one struct cmsgbuf_ucred;
 *    - the other kinds the kernel takes at SOL_SOCKET, IPPROTO_IP,
 *      IPPROTO_IPV6 and SOL_UDP (see cmsgbuf(3)): a wrong payload length, or
 *      a value the kernel refuses (SO_TIMESTAMPING flags outside
 *      SOF_TIMESTAMPING_TX_RECORD_MASK, an IP_TTL of 0, ...);
 *    - a message that sets a field of the kernel's send state that one
 *      already in the buffer sets (the kernel keeps only the last), whatever
 *      their kinds: a second SCM_CREDENTIALS or IP_TTL, SO_TIMESTAMPING_OLD
 *      and SO_TIMESTAMPING_NEW, IPV6_HOPLIMIT and IPV6_2292HOPLIMIT,
 *      SO_PRIORITY and IP_TOS (which sets the priority too), IP_PKTINFO,
 *      IPV6_PKTINFO and IPV6_2292PKTINFO;
 *    - a type the kernel does not take at SOL_SOCKET, IPPROTO_IP,
 *      IPPROTO_IPV6 or SOL_UDP: on the sockets those levels are for, the
 *      kernel refuses it (and AF_UNIX skips the IP and UDP levels). The
 *      buffer does not know its socket, so push takes what some socket takes:
 *      SO_MARK (which AF_UNIX refuses), SCM_RIGHTS (which UDP ignores);
 *  - ENOSPC: the message does not fit in the space left.
 * Messages of other levels are copied as they are. A message of
 * cmsgbuf_unchecked() is refused only for a NULL payload (EINVAL), its size
 * (EOVERFLOW) or the room (ENOSPC): the kernel's rules are the kernel's.
 * Rules that depend on the socket or the caller stay with the kernel too: a
 * capability (SO_MARK, SO_PRIORITY above 6, IPv6 option headers), a socket
 * option (SCM_TXTIME needs SO_TXTIME, SCM_TS_OPT_ID needs
 * SOF_TIMESTAMPING_OPT_ID), the route (UDP_SEGMENT above the MTU), and
 * net.core.optmem_max.
 */
CMSGBUF_INLINE bool cmsgbuf_send_push(struct cmsgbuf_send *b, struct cmsgbuf_msg msg);

/**
 * cmsgbuf_send_extend() - append @n messages, all or none
 *
 * Checks the whole batch, as if each message were pushed after the ones before
 * it, before writing any byte. On failure the buffer is unchanged and errno is
 * what cmsgbuf_send_push() would give for the first message refused (EINVAL
 * when @msgs is NULL and @n is not 0).
 */
bool cmsgbuf_send_extend(struct cmsgbuf_send *b, const struct cmsgbuf_msg *msgs, size_t n);

/* cmsgbuf_send_control() - msg_control for sendmsg(2): NULL when empty. */
CMSGBUF_INLINE void *cmsgbuf_send_control(const struct cmsgbuf_send *b);

/* cmsgbuf_send_controllen() - msg_controllen for sendmsg(2); at most INT_MAX. */
CMSGBUF_INLINE size_t cmsgbuf_send_controllen(const struct cmsgbuf_send *b);

/*
 * sendmsg wrappers: fill a struct msghdr from @iov, @iovcnt and @b (which may
 * be NULL: no control data) and call sendmsg(2). They return what sendmsg(2)
 * returns and set errno as it does (and to EMSGSIZE, sending nothing, when
 * @iovcnt exceeds INT_MAX); an empty buffer is passed as a NULL
 * msg_control with msg_controllen 0. Stream sockets need at least one byte of
 * data to carry control messages.
 *
 * They carry every buffer push builds, on every libc. musl's own sendmsg()
 * fails with ENOMEM above 1024 bytes of control data on 64-bit (less than
 * CMSGBUF_MAX_FDS descriptors take); there, a longer buffer goes to the kernel
 * by syscall(SYS_sendmsg), which is not a cancellation point.
 *
 * cmsgbuf_sendmsg_unix() takes the address length, since it tells a path
 * ("/run/x.sock"), an abstract address (sun_path[0] == '\0') and an unnamed
 * one (sizeof(sa_family_t)) apart. cmsgbuf_sendmsg_any() takes any address,
 * or NULL for none.
 */
CMSGBUF_INLINE ssize_t cmsgbuf_sendmsg(int fd, const struct iovec *iov, size_t iovcnt,
				       const struct cmsgbuf_send *b, int flags);
ssize_t cmsgbuf_sendmsg_v4(int fd, const struct sockaddr_in *addr,
			   const struct iovec *iov, size_t iovcnt,
			   const struct cmsgbuf_send *b, int flags);
ssize_t cmsgbuf_sendmsg_v6(int fd, const struct sockaddr_in6 *addr,
			   const struct iovec *iov, size_t iovcnt,
			   const struct cmsgbuf_send *b, int flags);
ssize_t cmsgbuf_sendmsg_unix(int fd, const struct sockaddr_un *addr, socklen_t addrlen,
			     const struct iovec *iov, size_t iovcnt,
			     const struct cmsgbuf_send *b, int flags);
ssize_t cmsgbuf_sendmsg_any(int fd, const struct sockaddr *addr, socklen_t addrlen,
			    const struct iovec *iov, size_t iovcnt,
			    const struct cmsgbuf_send *b, int flags);

/*
 * The walker: CMSG_FIRSTHDR()/CMSG_NXTHDR() for bytes that cannot be trusted.
 *
 * cmsgbuf_first() and cmsgbuf_next() return only headers that lie wholly
 * inside [@control, @control + @len) and whose cmsg_len is at least
 * CMSG_LEN(0) and within the bytes left; the walk stops at the first header
 * that is not, and always ends, whatever cmsg_len holds. The last message may
 * lack its padding, as the kernel allows. @control must be aligned for struct
 * cmsghdr (as every buffer cmsgbuf builds or receives is): a misaligned or
 * NULL @control yields no header. The bytes may change between calls
 * (shared memory, another thread, a caller editing a header): cmsgbuf_next()
 * checks @cur again as cmsgbuf_first() checks a header, so a @cur whose
 * cmsg_len no longer fits, or that is NULL, misaligned or outside the buffer,
 * ends the walk.
 */
CMSGBUF_INLINE const struct cmsghdr *cmsgbuf_first(const void *control, size_t len);
CMSGBUF_INLINE const struct cmsghdr *cmsgbuf_next(const void *control, size_t len,
				   const struct cmsghdr *cur);

/**
 * enum cmsgbuf_defect - what cmsgbuf_check() found first
 * @CMSGBUF_WELL_FORMED: nothing; the buffer is what push builds
 * @CMSGBUF_DEFECT_MISALIGNED: @control is not aligned for struct cmsghdr
 * @CMSGBUF_DEFECT_SHORT_HEADER: fewer bytes left than a header, but not none
 * @CMSGBUF_DEFECT_LEN_TOO_SMALL: a cmsg_len below CMSG_LEN(0)
 * @CMSGBUF_DEFECT_LEN_PAST_END: a cmsg_len beyond the bytes left
 * @CMSGBUF_DEFECT_UNPADDED: the last message lacks (part of) its padding
 * @CMSGBUF_DEFECT_NONZERO_PADDING: a padding byte is not zero
 */
enum cmsgbuf_defect {
	CMSGBUF_WELL_FORMED = 0,
	CMSGBUF_DEFECT_MISALIGNED,
	CMSGBUF_DEFECT_SHORT_HEADER,
	CMSGBUF_DEFECT_LEN_TOO_SMALL,
	CMSGBUF_DEFECT_LEN_PAST_END,
	CMSGBUF_DEFECT_UNPADDED,
	CMSGBUF_DEFECT_NONZERO_PADDING,
};

/**
 * cmsgbuf_check() - is this buffer well-formed?
 *
 * Well-formed means: a sequence of messages, each taking exactly
 * CMSG_SPACE() of its payload, with every padding byte (inside the header
 * and after the payload) zero, and no byte left over. Every buffer push
 * builds is well-formed; a received buffer need not be (the kernel leaves
 * padding as it found it). NULL with any @len is an empty, well-formed buffer.
 *
 * Return: CMSGBUF_WELL_FORMED (0), or the first defect found.
 */
enum cmsgbuf_defect cmsgbuf_check(const void *control, size_t len);

/* cmsgbuf_defect_str() - a sentence for a defect; never NULL. */
const char *cmsgbuf_defect_str(enum cmsgbuf_defect defect);

/*
 * Receive buffer
 */

/**
 * DOC: Receiving, and who owns which descriptor
 *
 * A struct cmsgbuf_recv holds the control data of one receive and owns the
 * descriptors the kernel installed for it until the caller takes them. At
 * every step each descriptor has exactly one owner:
 *
 *  - cmsgbuf_recvmsg(), cmsgbuf_recvmsg_from(), cmsgbuf_recv_adopt(): the
 *    buffer owns every descriptor received, truncated receive or not;
 *  - cmsgbuf_recv_next() and cmsgbuf_recv_find() only read: a message they
 *    yield still belongs to the buffer, with its descriptors (SCM_RIGHTS,
 *    and the pidfd of SCM_PIDFD);
 *  - cmsgbuf_recv_take_fds(): the one step that makes descriptors the
 *    caller's. It takes all of a message's descriptors or none, and marks
 *    them taken in the buffer's bytes (a taken slot reads -1), so that
 *    nothing closes them after;
 *  - cmsgbuf_recv_clear(), and the next receive into the same buffer: close
 *    every descriptor not taken, those of messages yielded and left alone
 *    included, and empty the buffer.
 *
 * So ignoring a message, or stopping early, leaks nothing: clear the buffer
 * when done with it, as one closes a descriptor. No sequence of calls on one
 * buffer closes a descriptor twice or closes one the caller took. Every
 * descriptor is received close-on-exec: MSG_CMSG_CLOEXEC is always added.
 *
 * assumes: int sock; struct iovec iov; void use(int a, int b);
 *	unsigned char space[CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE +
 *					  CMSGBUF_RIGHTS_SPACE(2))];
 *	struct cmsgbuf_recv b;
 *	struct cmsgbuf_msg m;
 *	int fds[2];
 *
 *	cmsgbuf_recv_init(&b, space, sizeof(space));
 *	if (cmsgbuf_recvmsg(sock, &iov, 1, &b, 0) < 0)
 *		return -1;
 *	while (!cmsgbuf_recv_truncated(&b) && cmsgbuf_recv_next(&b, &m))
 *		if (cmsgbuf_recv_take_fds(&b, &m, fds, 2) == 2)
 *			use(fds[0], fds[1]);	// ours now
 *	cmsgbuf_recv_clear(&b);	// closes every fd not taken
 *
 * The control bytes hold the ledger, so they must stay the buffer's while it
 * holds them: clear it before receiving into its bytes again (see
 * cmsgbuf_recv_adopt()).
 *
 * Sizing: the kernel lays out received messages as push does, so the space
 * macros above size a receive buffer too: CMSGBUF_SPACE() of the sum of the
 * messages one receive may carry. Count what the receiving socket's options
 * add, not only what the peer sends: SO_PASSCRED adds credentials to every
 * receive, SO_PASSPIDFD a pidfd (CMSGBUF_PIDFD_SPACE), SO_PASSSEC a security
 * label of the security module's size. Room for more descriptors than the
 * peer sends costs only bytes; room for fewer truncates the receive, and the
 * kernel closes the descriptors that did not fit. Sum CMSG_SPACE(), as these
 * macros do, never CMSG_LEN(): Linux fits (controllen - sizeof(struct
 * cmsghdr)) / sizeof(int) descriptors, so CMSG_LEN(n * sizeof(int)) bytes
 * happen to hold n there, but not on FreeBSD.
 *
 * CMSGBUF_RECV_MAX_SPACE holds all that one AF_UNIX receive can carry except
 * a security label, whatever the receiver turned on: credentials, the most
 * descriptors a peer can send, a pidfd, and on a datagram or seqpacket
 * socket a timestamp (SO_TIMESTAMP or SO_TIMESTAMPNS, at most 16 bytes in
 * their _NEW forms) together with an SCM_TIMESTAMPING (SO_TIMESTAMPING with
 * software receive stamps: three 16-byte stamps). A stream socket gets no
 * timestamp; its SCM_INQ (SO_INQ) is a 4-byte int, which fits in their room.
 * SO_RXQ_OVFL, SO_RCVMARK and SO_RCVPRIORITY add nothing on AF_UNIX
 * (measured on Linux 6.18). It sizes a byte array, CMSGBUF_SPACE()'s slack
 * included, so it is no CMSGBUF_BUFFER_TYPE() total.
 */
#define CMSGBUF_PIDFD_SPACE CMSG_SPACE(sizeof(int))
#define CMSGBUF_RECV_MAX_SPACE CMSGBUF_SPACE(CMSGBUF_CREDENTIALS_SPACE + \
	CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS) + CMSGBUF_PIDFD_SPACE + \
	CMSGBUF_RAW_SPACE(2 * sizeof(int64_t)) + CMSGBUF_RAW_SPACE(6 * sizeof(int64_t)))

/**
 * struct cmsgbuf_recv - the control data of one receive, and its descriptors
 *
 * Lives wherever the caller puts it and points into the caller's space (or,
 * after cmsgbuf_recv_adopt(), into the caller's control bytes). Every field
 * is private: use the functions below.
 */
struct cmsgbuf_recv {
	unsigned char *space;	/* private: aligned start of the usable space */
	size_t cap;		/* private: usable bytes from space, at most INT_MAX */
	unsigned char *data;	/* private: the control data received or adopted */
	size_t len;		/* private: its length */
	size_t next;		/* private: where the walk goes on: a header not yet checked, or len */
	size_t owned;		/* private: descriptors not taken in the messages before next */
	int flags;		/* private: msg_flags of the receive */
};

/* An empty buffer, without space: a receive into it gets no control data. */
#define CMSGBUF_RECV_EMPTY { NULL, 0, NULL, 0, 0, 0, 0 }

/**
 * cmsgbuf_recv_init() - an empty receive buffer in the caller's space
 * @b: the buffer
 * @space: any address; may be NULL when @size is 0
 * @size: any size
 *
 * As cmsgbuf_send_init(): uses [@space, @space + @size) from the first byte
 * aligned for struct cmsghdr on (at most INT_MAX bytes of it), and nothing
 * outside. A region too small to hold that byte gives a buffer without space:
 * the kernel then discards any descriptors sent and reports truncation.
 *
 * Init is for a buffer that is new or cleared: it forgets whatever @b held,
 * and so leaks the descriptors @b still owned. Init a buffer once, before a
 * receive loop, not in it: each receive clears @b first.
 */
void cmsgbuf_recv_init(struct cmsgbuf_recv *b, void *space, size_t size);

/**
 * cmsgbuf_recvmsg_from() - recvmsg(2) into @b, with the sender's address
 * @fd: the socket
 * @addr: where the sender's address goes, or NULL (ignored when @addrlen is)
 * @addrlen: as for recvfrom(2): the size of @addr on entry, the length of the
 *           address on return (larger than the size when it was cut)
 * @iov: where the data goes; @iovcnt entries
 * @b: the buffer: its space receives the control data
 * @flags: as for recvmsg(2); MSG_CMSG_CLOEXEC is always added
 *
 * First clears @b, as cmsgbuf_recv_clear() does: closes every descriptor it
 * still owns (the kernel is about to write over the bytes that name them),
 * yielded or not, none it handed over. Then receives: on success @b owns every
 * descriptor in the control data and cmsgbuf_recv_next() yields its
 * messages. If recvmsg(2) fails, @b stays empty, as the clear left it. An
 * @iovcnt above INT_MAX is refused before anything is done: then @b is as it
 * was, its descriptors still its own. One failure loses descriptors, and
 * cmsgbuf cannot see it: when the kernel has installed them and then cannot
 * write @addr or *@addrlen back (EFAULT), it reports no control data. Pass
 * memory it can write.
 *
 * Return: what recvmsg(2) returns, with errno as it sets it (EMSGSIZE when
 * @iovcnt exceeds INT_MAX).
 */
CMSGBUF_INLINE ssize_t cmsgbuf_recvmsg_from(int fd, struct sockaddr *addr, socklen_t *addrlen,
					    const struct iovec *iov, size_t iovcnt,
					    struct cmsgbuf_recv *b, int flags);

/* cmsgbuf_recvmsg() - cmsgbuf_recvmsg_from() without the sender's address. */
CMSGBUF_INLINE ssize_t cmsgbuf_recvmsg(int fd, const struct iovec *iov, size_t iovcnt,
				       struct cmsgbuf_recv *b, int flags);

/**
 * cmsgbuf_recv_adopt() - take over the control data of the caller's own receive
 * @b: the buffer: empty, as cmsgbuf_recv_init() or cmsgbuf_recv_clear() leave it
 * @mh: a msghdr that recvmsg(2), recvmmsg(2) or io_uring filled (use
 *      MSG_CMSG_CLOEXEC there too)
 *
 * @mh->msg_control must be aligned for struct cmsghdr, as CMSG_FIRSTHDR()
 * requires: a union with struct cmsghdr, or the result of malloc(), is.
 * Then @b owns every descriptor in @mh's control data, which it reads and
 * marks in place: the bytes are @b's until it is cleared, and cmsgbuf may
 * rewrite a last cmsg_len that runs past msg_controllen to fit (see
 * cmsgbuf_recv_next()). msg_flags tells cmsgbuf_recv_truncated().
 *
 * The rule: clear @b before anything, a receive above all, writes into the
 * bytes it holds. With recvmmsg(2), give each message its own buffer, and
 * clear them all before receiving the next batch into the same arrays. A
 * buffer that still holds control data refuses to adopt (EBUSY), so it never
 * guesses whether its bytes are still what it received. When the rule was
 * broken, the kernel has already written over those bytes: the descriptors
 * they named are lost to everyone (leaked), and @b reads the new bytes as its
 * own: its clear closes every descriptor they name, and the new receive is
 * lost with them (closed, not leaked; none closed twice).
 *
 * Return: true. false with errno:
 *  - EBUSY: @b holds control data (a receive or adopt not cleared). @b keeps
 *    its messages and descriptors, and the descriptors in @mh stay the
 *    caller's unless @mh's bytes are @b's, as above; but since an adopt
 *    into a buffer holding data means the rule may have been broken, @b no
 *    longer trusts its count of descriptors taken: its clear reads every
 *    byte it holds again, and closes what they name;
 *  - EINVAL: @mh carries control data (msg_controllen is not 0) at a
 *    misaligned msg_control; nothing changed.
 */
bool cmsgbuf_recv_adopt(struct cmsgbuf_recv *b, const struct msghdr *mh);

/**
 * cmsgbuf_recv_next() - yield the next message received
 * @b: the buffer
 * @out: the message; its payload points into @b's bytes and stays valid
 *       until @b is cleared or receives again
 *
 * Yields every message the hardened walker finds, in the order received,
 * each once, whatever its level and type: unknown messages are yielded as
 * they are, never skipped. Iteration can stop and resume: a later call
 * yields the message after the last one yielded. Yielding takes nothing:
 * the descriptors a message carries stay @b's until
 * cmsgbuf_recv_take_fds() takes them, and cmsgbuf_recv_clear() closes them
 * otherwise.
 *
 * A last message whose cmsg_len runs past the received length (as other
 * kernels report truncation) is yielded cut to the bytes received. A
 * malformed header (cmsg_len below a header's size) ends the walk; nothing
 * after it is yielded.
 *
 * Return: true with @out filled; false when no message is left (then @out
 * is zeroed: level 0, type 0, no payload).
 */
CMSGBUF_INLINE bool cmsgbuf_recv_next(struct cmsgbuf_recv *b, struct cmsgbuf_msg *out);

/**
 * cmsgbuf_recv_find() - the first message of a level and type received
 * @b: the buffer
 * @level: cmsg_level, such as SOL_SOCKET
 * @type: cmsg_type, such as SCM_RIGHTS
 * @out: the message, as cmsgbuf_recv_next() would yield it
 *
 * Looks from the first message received, wherever the walk of
 * cmsgbuf_recv_next() stands, and does not move it. Like yielding, finding
 * takes no descriptor.
 *
 * Return: true with @out filled. false when no such message was received,
 * with errno ENOENT and @out zeroed.
 */
CMSGBUF_INLINE bool cmsgbuf_recv_find(const struct cmsgbuf_recv *b, int level, int type,
				      struct cmsgbuf_msg *out);

/**
 * cmsgbuf_recv_credentials() - the credentials of a receive
 * @b: the buffer
 * @cred: where they are copied
 *
 * The first SCM_CREDENTIALS message, read by cmsgbuf_msg_credentials(). The
 * kernel sends credentials only to a receiver with SO_PASSCRED on, and then
 * on every receive, even when it has none (see cmsgbuf_ucred_none()).
 *
 * Return: true with @cred filled. false with @cred untouched, and errno
 * ENOENT when no credentials were received, EINVAL when their payload is not
 * exactly one struct cmsgbuf_ucred.
 */
CMSGBUF_INLINE bool cmsgbuf_recv_credentials(const struct cmsgbuf_recv *b, struct cmsgbuf_ucred *cred);

/**
 * cmsgbuf_recv_truncated() - did the kernel set MSG_CTRUNC?
 *
 * It does when the space could not hold every control message (the cut
 * message holds the descriptors that fitted; the kernel closed the others),
 * and when it could not install every descriptor (RLIMIT_NOFILE, a security
 * module), however large the space. Either way descriptors are missing:
 * treat it as an error, and still clear @b to close those that arrived.
 * One exception: a pidfd the kernel could not install (SO_PASSPIDFD) comes
 * as an SCM_PIDFD message holding the negative errno, without MSG_CTRUNC
 * (Linux 6.18); cmsgbuf_msg_nfds() counts no descriptor in it.
 */
CMSGBUF_INLINE bool cmsgbuf_recv_truncated(const struct cmsgbuf_recv *b);

/**
 * cmsgbuf_recv_flags() - msg_flags of the receive (MSG_TRUNC, MSG_EOR, ...)
 *
 * Without MSG_CMSG_CLOEXEC, which the kernel echoes back; 0 after a clear.
 */
int cmsgbuf_recv_flags(const struct cmsgbuf_recv *b);

/**
 * cmsgbuf_recv_clear() - close every descriptor not taken, and empty @b
 *
 * Closes the descriptors of every message received that
 * cmsgbuf_recv_take_fds() did not take, yielded or not, and marks them
 * taken in the bytes, so that adopting the same bytes again closes nothing
 * twice. Descriptors taken are the caller's and stay open. Afterwards @b
 * holds no message, is not truncated, and keeps its space; a second clear
 * does nothing.
 */
CMSGBUF_INLINE void cmsgbuf_recv_clear(struct cmsgbuf_recv *b);

/**
 * cmsgbuf_msg_nfds() - how many descriptors a received message still carries
 * @m: a message cmsgbuf_recv_next() or cmsgbuf_recv_find() yielded
 *
 * The descriptors of an SCM_RIGHTS message, or the pidfd of an SCM_PIDFD
 * message, not yet taken: every whole int of the payload that is not
 * negative, read through memcpy(). A negative value names no descriptor: a
 * taken slot (-1), or the errno that an SCM_PIDFD message carries in place
 * of a pidfd the kernel could not install. Bytes left over after the whole
 * ints (never sent by Linux) are ignored.
 *
 * Return: their number; 0 for any other message.
 */
CMSGBUF_INLINE size_t cmsgbuf_msg_nfds(const struct cmsgbuf_msg *m);

/**
 * cmsgbuf_recv_take_fds() - take the descriptors of a received message
 * @b: the buffer that yielded @m
 * @m: a message of @b's current control data, as cmsgbuf_recv_next() or
 *     cmsgbuf_recv_find() yield them
 * @fds: where they are copied, in the order received; may be NULL when
 *       @max is 0
 * @max: the room in @fds
 *
 * All or nothing: when the message carries at most @max descriptors (as
 * cmsgbuf_msg_nfds() counts them), copies them all to @fds and makes them the
 * caller's: the buffer marks their slots taken (-1) and will not close them.
 * Otherwise nothing changes: @fds is untouched and the buffer keeps them, to
 * close on clear. A second take of the same message takes none.
 *
 * Return: how many were taken, 0 for a message that carries none. -1 with
 * nothing changed, and errno:
 *  - ENOSPC: the message carries more than @max descriptors;
 *  - EINVAL: @b holds no control data (say, @m was yielded before @b was
 *    cleared), or @m carries descriptors but is not a message of @b's
 *    current control data.
 */
CMSGBUF_INLINE ssize_t cmsgbuf_recv_take_fds(struct cmsgbuf_recv *b, const struct cmsgbuf_msg *m,
					     int *fds, size_t max);

/**
 * cmsgbuf_msg_credentials() - the credentials of an SCM_CREDENTIALS message
 * @m: a message cmsgbuf_recv_next() or cmsgbuf_recv_find() yielded
 * @cred: where they are copied
 *
 * Return: true when @m is SCM_CREDENTIALS with a payload of exactly one
 * struct cmsgbuf_ucred. false otherwise, with errno EINVAL and @cred
 * untouched. The kernel sends credentials even when it has none (see
 * cmsgbuf_ucred_none()).
 */
CMSGBUF_INLINE bool cmsgbuf_msg_credentials(const struct cmsgbuf_msg *m, struct cmsgbuf_ucred *cred);

/**
 * cmsgbuf_ucred_none() - do received credentials say "no credentials"?
 *
 * With SO_PASSCRED, Linux sends credentials on every receive; a message sent
 * while neither end had SO_PASSCRED carries none, and reads as pid 0 with the
 * overflow uid and gid (65534, /proc/sys/kernel/overflowuid). pid 0 is also
 * what a sender outside the receiver's pid namespace reads as. A uid or gid
 * of -1, which no process has, counts as none too.
 */
static inline bool cmsgbuf_ucred_none(const struct cmsgbuf_ucred *cred)
{
	return cred->pid == 0 || cred->uid == (uid_t)-1 || cred->gid == (gid_t)-1;
}

/*
 * UDP servers: the IP, UDP and timestamp messages a datagram brings
 */

/**
 * DOC: Reading the messages of a UDP datagram
 *
 * Each reader below takes a message cmsgbuf_recv_next() yielded, checks its
 * level, its type and that its payload is exactly the size the kernel sends
 * for that kind on this ABI, and copies the value out through memcpy() (the
 * payload need not be aligned for its type). On a message of another kind,
 * or of another size, it returns false with errno EINVAL and writes nothing:
 * so a loop may offer every message to each reader in turn.
 *
 * assumes: int sock; struct iovec iov; void reply(struct in_addr from, int tos);
 *	unsigned char space[CMSGBUF_SPACE(
 *		CMSGBUF_RAW_SPACE(sizeof(struct cmsgbuf_in_pktinfo)) + CMSGBUF_RAW_SPACE(1))];
 *	struct cmsgbuf_recv b;
 *	struct cmsgbuf_msg m;
 *	struct cmsgbuf_in_pktinfo info;
 *	int tos = 0;
 *
 *	memset(&info, 0, sizeof(info));
 *	cmsgbuf_recv_init(&b, space, sizeof(space));
 *	if (cmsgbuf_recvmsg(sock, &iov, 1, &b, 0) < 0)
 *		return -1;
 *	while (cmsgbuf_recv_next(&b, &m))
 *		if (!cmsgbuf_msg_ip_pktinfo(&m, &info))
 *			cmsgbuf_msg_ip_tos(&m, &tos);
 *	reply(info.ipi_addr, tos);	// from the address the datagram was sent to
 *	cmsgbuf_recv_clear(&b);
 *
 * The receiver asks for each kind with a socket option: IP_PKTINFO,
 * IP_RECVTOS, IP_RECVTTL, IP_RECVORIGDSTADDR, IP_RECVERR (read with
 * MSG_ERRQUEUE); IPV6_RECVPKTINFO, IPV6_RECVTCLASS, IPV6_RECVHOPLIMIT,
 * IPV6_RECVORIGDSTADDR, IPV6_RECVERR; UDP_GRO; SO_TIMESTAMP, SO_TIMESTAMPNS,
 * SO_TIMESTAMPING (and their _NEW forms), SO_RXQ_OVFL. On an IPv6 socket,
 * an IPv4 datagram brings IPV6_PKTINFO with an IPv4-mapped address, and the
 * other IP-level kinds only as the IPv4 ones, for the IP_ options.
 *
 * Size the space with CMSGBUF_RAW_SPACE() of each payload, and for the kinds
 * whose size varies with the form or the family, with these:
 * CMSGBUF_TIMESTAMP_SPACE holds any form of SCM_TIMESTAMP or SCM_TIMESTAMPNS
 * (at most 16 bytes, in the _NEW forms), CMSGBUF_TIMESTAMPING_SPACE any form
 * of SCM_TIMESTAMPING (at most 48 bytes), CMSGBUF_IP_RECVERR_SPACE and
 * CMSGBUF_IPV6_RECVERR_SPACE an error with its offender,
 * CMSGBUF_IP_ORIGDSTADDR_SPACE and CMSGBUF_IPV6_ORIGDSTADDR_SPACE an address.
 */
#define CMSGBUF_TIMESTAMP_SPACE CMSG_SPACE(2 * sizeof(int64_t))
#define CMSGBUF_TIMESTAMPING_SPACE CMSG_SPACE(6 * sizeof(int64_t))
#define CMSGBUF_IP_RECVERR_SPACE \
	CMSG_SPACE(sizeof(struct cmsgbuf_sock_extended_err) + sizeof(struct sockaddr_in))
#define CMSGBUF_IPV6_RECVERR_SPACE \
	CMSG_SPACE(sizeof(struct cmsgbuf_sock_extended_err) + sizeof(struct sockaddr_in6))
#define CMSGBUF_IP_ORIGDSTADDR_SPACE CMSG_SPACE(sizeof(struct sockaddr_in))
#define CMSGBUF_IPV6_ORIGDSTADDR_SPACE CMSG_SPACE(sizeof(struct sockaddr_in6))

/**
 * struct cmsgbuf_timespec - a received time, whatever the width of time_t
 * @tv_sec: seconds since the epoch (CLOCK_REALTIME)
 * @tv_nsec: nanoseconds, 0 to 999999999
 *
 * Not struct timespec: a 32-bit program may build with a 64-bit time_t
 * (_TIME_BITS=64) and the library without, or the other way round; this
 * layout is the same in both, and needs no <time.h>.
 */
struct cmsgbuf_timespec {
	int64_t tv_sec;
	long tv_nsec;
};

/**
 * struct cmsgbuf_sock_extended_err - laid out as Linux's struct sock_extended_err
 * @ee_errno: the error, such as ECONNREFUSED
 * @ee_origin: SO_EE_ORIGIN_LOCAL (1), SO_EE_ORIGIN_ICMP (2), SO_EE_ORIGIN_ICMP6 (3), ...
 *             (<linux/errqueue.h>)
 * @ee_type: the ICMP or ICMPv6 type, for those origins
 * @ee_code: the ICMP or ICMPv6 code, for those origins
 * @ee_pad: zero
 * @ee_info: the discovered MTU for EMSGSIZE; otherwise per origin
 * @ee_data: per origin (RFC 4884 extension data, zerocopy ranges, ...)
 *
 * The same layout as <linux/errqueue.h>'s, whose header cmsgbuf.h does not
 * impose on its users.
 */
struct cmsgbuf_sock_extended_err {
	uint32_t ee_errno;
	uint8_t ee_origin;
	uint8_t ee_type;
	uint8_t ee_code;
	uint8_t ee_pad;
	uint32_t ee_info;
	uint32_t ee_data;
};

/**
 * cmsgbuf_msg_ip_pktinfo() - the addresses of an IP_PKTINFO message
 * @m: a message cmsgbuf_recv_next() yielded
 * @info: where they are copied
 *
 * Return: true when @m is (IPPROTO_IP, IP_PKTINFO) with a payload of exactly
 * one struct cmsgbuf_in_pktinfo; false otherwise, with errno EINVAL and @info
 * untouched.
 */
bool cmsgbuf_msg_ip_pktinfo(const struct cmsgbuf_msg *m, struct cmsgbuf_in_pktinfo *info);

/* cmsgbuf_msg_ipv6_pktinfo() - as cmsgbuf_msg_ip_pktinfo(), for (IPPROTO_IPV6, IPV6_PKTINFO). */
bool cmsgbuf_msg_ipv6_pktinfo(const struct cmsgbuf_msg *m, struct cmsgbuf_in6_pktinfo *info);

/**
 * cmsgbuf_msg_ip_tos() - the TOS byte of an IP_TOS message
 * @m: a message cmsgbuf_recv_next() yielded
 * @tos: where the value, 0 to 255, is stored
 *
 * On receive the kernel sends IP_TOS as one byte (on send it takes an int);
 * the reader takes exactly one byte.
 *
 * Return: true when @m is (IPPROTO_IP, IP_TOS) with a 1-byte payload; false
 * otherwise, with errno EINVAL and @tos untouched.
 */
bool cmsgbuf_msg_ip_tos(const struct cmsgbuf_msg *m, int *tos);

/**
 * cmsgbuf_msg_ipv6_tclass() - the traffic class of an IPV6_TCLASS message
 * @m: a message cmsgbuf_recv_next() yielded
 * @tclass: where the value, 0 to 255, is stored
 *
 * cmsgbuf_msg_ip_ttl() (IPPROTO_IP, IP_TTL) and cmsgbuf_msg_ipv6_hoplimit()
 * (IPPROTO_IPV6, IPV6_HOPLIMIT) read the same way: an int, 0 to 255.
 *
 * Return: true when @m is (IPPROTO_IPV6, IPV6_TCLASS) with a payload of
 * exactly one int; false otherwise, with errno EINVAL and @tclass untouched.
 */
bool cmsgbuf_msg_ipv6_tclass(const struct cmsgbuf_msg *m, int *tclass);
bool cmsgbuf_msg_ip_ttl(const struct cmsgbuf_msg *m, int *ttl);
bool cmsgbuf_msg_ipv6_hoplimit(const struct cmsgbuf_msg *m, int *hoplimit);

/**
 * cmsgbuf_msg_udp_gro() - the segment size of a UDP_GRO message
 * @m: a message cmsgbuf_recv_next() yielded
 * @segment_size: where the size of each datagram coalesced into this one is
 *                stored (the last may be shorter)
 *
 * With UDP_GRO on, the kernel may hand several datagrams of one flow over as
 * one buffer, and says so with this message.
 *
 * Return: true when @m is (IPPROTO_UDP, UDP_GRO) with a payload of exactly
 * one int; false otherwise, with errno EINVAL and @segment_size untouched.
 */
bool cmsgbuf_msg_udp_gro(const struct cmsgbuf_msg *m, int *segment_size);

/**
 * cmsgbuf_msg_timestamp() - the receive time of an SCM_TIMESTAMP or SCM_TIMESTAMPNS message
 * @m: a message cmsgbuf_recv_next() yielded
 * @ts: where the time (CLOCK_REALTIME) is stored
 *
 * Takes each form the kernel sends, at SOL_SOCKET: SO_TIMESTAMP_OLD (a
 * struct timeval of the kernel's long: 16 bytes on 64-bit, 8 on 32-bit),
 * SO_TIMESTAMP_NEW (two int64_t: seconds and microseconds), SO_TIMESTAMPNS_OLD
 * (a struct timespec of the kernel's long), SO_TIMESTAMPNS_NEW (two int64_t:
 * seconds and nanoseconds). Microseconds are converted to nanoseconds.
 *
 * Return: true when @m is one of those with its exact payload size; false
 * otherwise, with errno EINVAL and @ts untouched. A microsecond or
 * nanosecond count out of its range, which no kernel sends, is refused too.
 */
bool cmsgbuf_msg_timestamp(const struct cmsgbuf_msg *m, struct cmsgbuf_timespec *ts);

/**
 * cmsgbuf_msg_timestamping() - the three times of an SCM_TIMESTAMPING message
 * @m: a message cmsgbuf_recv_next() yielded
 * @ts: an array of three, where the times are stored: [0] software,
 *      [1] unused (zero), [2] hardware; a time the kernel did not take is zero
 *
 * Takes SO_TIMESTAMPING_OLD (three struct timespec of the kernel's long: 48
 * bytes on 64-bit, 24 on 32-bit) and SO_TIMESTAMPING_NEW (three pairs of
 * int64_t: 48 bytes), at SOL_SOCKET.
 *
 * Return: as cmsgbuf_msg_timestamp(); all three or none are stored.
 */
bool cmsgbuf_msg_timestamping(const struct cmsgbuf_msg *m, struct cmsgbuf_timespec *ts);

/**
 * cmsgbuf_msg_ip_recverr() - the error of an IP_RECVERR message
 * @m: a message cmsgbuf_recv_next() yielded after a receive with MSG_ERRQUEUE
 * @ee: where the error is copied
 * @offender: where the address of the host that reported it is copied
 *            (SO_EE_OFFENDER()); may be NULL. Its sin_family is AF_UNSPEC
 *            when there is none, as for a local error.
 *
 * The kernel sends a struct sock_extended_err followed by a struct
 * sockaddr_in, always both.
 *
 * Return: true when @m is (IPPROTO_IP, IP_RECVERR) with a payload of exactly
 * those two; false otherwise, with errno EINVAL and @ee and @offender
 * untouched.
 */
bool cmsgbuf_msg_ip_recverr(const struct cmsgbuf_msg *m, struct cmsgbuf_sock_extended_err *ee,
			    struct sockaddr_in *offender);

/* cmsgbuf_msg_ipv6_recverr() - as cmsgbuf_msg_ip_recverr(), for (IPPROTO_IPV6, IPV6_RECVERR). */
bool cmsgbuf_msg_ipv6_recverr(const struct cmsgbuf_msg *m, struct cmsgbuf_sock_extended_err *ee,
			      struct sockaddr_in6 *offender);

/**
 * cmsgbuf_msg_rxq_ovfl() - the drop count of an SO_RXQ_OVFL message
 * @m: a message cmsgbuf_recv_next() yielded
 * @drops: where the count is stored: the datagrams the socket dropped since
 *         it was opened (a uint32_t that wraps), for a full receive queue
 *
 * The kernel sends it only once the count is not 0.
 *
 * Return: true when @m is (SOL_SOCKET, SO_RXQ_OVFL) with a payload of exactly
 * one uint32_t; false otherwise, with errno EINVAL and @drops untouched.
 */
bool cmsgbuf_msg_rxq_ovfl(const struct cmsgbuf_msg *m, uint32_t *drops);

/**
 * cmsgbuf_msg_ip_origdstaddr() - the destination of an IP_ORIGDSTADDR message
 * @m: a message cmsgbuf_recv_next() yielded
 * @addr: where the destination address and port are copied (before any
 *        redirection, such as a TPROXY rule's)
 *
 * Return: true when @m is (IPPROTO_IP, IP_ORIGDSTADDR) with a payload of
 * exactly one struct sockaddr_in; false otherwise, with errno EINVAL and
 * @addr untouched.
 */
bool cmsgbuf_msg_ip_origdstaddr(const struct cmsgbuf_msg *m, struct sockaddr_in *addr);

/* cmsgbuf_msg_ipv6_origdstaddr() - as cmsgbuf_msg_ip_origdstaddr(), for IPV6_ORIGDSTADDR. */
bool cmsgbuf_msg_ipv6_origdstaddr(const struct cmsgbuf_msg *m, struct sockaddr_in6 *addr);

/*
 * Batches: sendmmsg(2) and recvmmsg(2), one buffer per message
 */

/* Declared by the libcs only under _GNU_SOURCE; a pointer to it is all cmsgbuf needs. */
struct mmsghdr;

/**
 * cmsgbuf_sendmmsg() - sendmmsg(2) with a send buffer per message
 * @fd: the socket
 * @msgs: the caller's array of @n messages: each msg_hdr's msg_name,
 *        msg_namelen, msg_iov and msg_iovlen as for sendmsg(2)
 * @n: how many messages (the kernel sends at most UIO_MAXIOV, 1024, per call)
 * @bufs: @n send buffers, @bufs[i] the control data of @msgs[i]; or NULL for
 *        no control data on any message
 * @flags: as for sendmmsg(2)
 *
 * Sets each @msgs[i].msg_hdr's msg_control and msg_controllen from @bufs[i]
 * (NULL and 0 for an empty buffer), and msg_len to 0, and calls sendmmsg(2).
 * Nothing else of @msgs is touched, and nothing is allocated. As for
 * cmsgbuf_sendmsg(), every buffer push builds goes out on every libc: on
 * 64-bit musl, whose sendmmsg() is a loop of its sendmsg() and so fails
 * above 1024 bytes of control data, cmsgbuf runs that loop itself and gives
 * the longer buffers to the kernel by syscall(SYS_sendmsg).
 *
 * A batch may stop early: when a message after the first fails (a full
 * socket buffer with MSG_DONTWAIT, a bad address), the messages before it
 * were sent and the call returns their count; the error of the message that
 * stopped it is lost, as sendmmsg(2)'s is. Resend the rest, and a failure on
 * the first message of a call reports its error:
 *
 * assumes: #define _GNU_SOURCE; int sock; struct mmsghdr msgs[8]; struct cmsgbuf_send bufs[8];
 *	unsigned int sent = 0;
 *
 *	while (sent < 8) {
 *		int r = cmsgbuf_sendmmsg(sock, msgs + sent, 8 - sent, bufs + sent, 0);
 *
 *		if (r < 0)
 *			err(1, "sendmmsg");	// msgs[sent] failed: errno says why
 *		sent += (unsigned int)r;
 *	}
 *
 * Return: the number of messages sent, each @msgs[i].msg_len the bytes of
 * message i; fewer than @n when the batch stopped early. -1 when the first
 * message could not be sent, with errno as sendmmsg(2) sets it.
 */
int cmsgbuf_sendmmsg(int fd, struct mmsghdr *msgs, unsigned int n,
		     const struct cmsgbuf_send *bufs, int flags);

/**
 * cmsgbuf_recvmmsg() - recvmmsg(2) with a receive buffer per message
 * @fd: the socket
 * @msgs: the caller's array of @n messages: each msg_hdr's msg_iov and
 *        msg_iovlen, and msg_name and msg_namelen, as for recvmsg(2).
 *        The kernel writes each msg_namelen back: set it again before the
 *        next call
 * @n: how many messages at most
 * @bufs: @n receive buffers, @bufs[i] the control data of @msgs[i], each
 *        with its own space (cmsgbuf_recv_init()); or NULL for no control
 *        data (the kernel then discards any, closing descriptors, and sets
 *        MSG_CTRUNC)
 * @flags: as for recvmmsg(2) (MSG_WAITFORONE, MSG_DONTWAIT, ...);
 *         MSG_CMSG_CLOEXEC is always added
 *
 * First clears every buffer of @bufs, as cmsgbuf_recvmsg() clears its one:
 * each closes the descriptors it still owns, those of messages yielded and
 * not taken included. Then sets each @msgs[i].msg_hdr's msg_control and
 * msg_controllen to @bufs[i]'s space and calls recvmmsg(2) without a
 * timeout (its timeout is checked only after each datagram, see
 * recvmmsg(2)'s BUGS; use MSG_WAITFORONE or MSG_DONTWAIT).
 *
 * Afterwards each @bufs[i] of a message received holds that message's
 * control data, as cmsgbuf_recvmsg() would have left it: it owns the
 * descriptors the kernel installed for that message, cmsgbuf_recv_next()
 * yields its messages, cmsgbuf_recv_truncated() tells its own MSG_CTRUNC and
 * cmsgbuf_recv_flags() its msg_flags. The buffers past the count received
 * are empty. Clear each buffer when done with it; the next call clears them
 * all anyway.
 *
 * assumes: #define _GNU_SOURCE; int sock; void use(const struct mmsghdr *m, struct cmsgbuf_recv *b);
 *	unsigned char space[32][CMSGBUF_SPACE(CMSGBUF_RAW_SPACE(sizeof(struct cmsgbuf_in_pktinfo)))];
 *	char data[32][1500];
 *	struct iovec iov[32];
 *	struct mmsghdr msgs[32];
 *	struct cmsgbuf_recv bufs[32];
 *	int n;
 *
 *	memset(msgs, 0, sizeof(msgs));
 *	for (int i = 0; i < 32; i++) {
 *		iov[i].iov_base = data[i];
 *		iov[i].iov_len = sizeof(data[i]);
 *		msgs[i].msg_hdr.msg_iov = &iov[i];
 *		msgs[i].msg_hdr.msg_iovlen = 1;
 *		cmsgbuf_recv_init(&bufs[i], space[i], sizeof(space[i]));
 *	}
 *	n = cmsgbuf_recvmmsg(sock, msgs, 32, bufs, MSG_WAITFORONE);
 *	for (int i = 0; i < n; i++)
 *		use(&msgs[i], &bufs[i]);	// msg_len bytes in data[i]
 *	for (int i = 0; i < 32; i++)
 *		cmsgbuf_recv_clear(&bufs[i]);
 *
 * Return: the number of messages received (each @msgs[i].msg_len its bytes),
 * or -1 with errno as recvmmsg(2) sets it, every buffer then empty. As with
 * recvmmsg(2), an error after the first datagram ends the batch early and is
 * reported by the next call.
 */
int cmsgbuf_recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n,
		     struct cmsgbuf_recv *bufs, int flags);

/*
 * Descriptors in one call: the everyday fd passing, without a buffer to
 * manage. Both allocate nothing (their control space is on the stack).
 */

/**
 * cmsgbuf_send_fds() - send data with descriptors, and credentials if given
 * @sock: the socket
 * @data: the data to send, @len bytes; stream sockets need at least one byte
 *        to carry descriptors
 * @fds: the descriptors, @nfds of them (0 to CMSGBUF_MAX_FDS); they stay the
 *       caller's (the kernel duplicates them)
 * @cred: credentials to claim (the kernel checks that the sender may), or
 *        NULL for none; they reach only a receiver with SO_PASSCRED on
 * @flags: as for sendmsg(2)
 *
 * One SCM_RIGHTS message, when @nfds is not 0, and one SCM_CREDENTIALS
 * message, when @cred is given, pushed with cmsgbuf_send_push()'s checks and
 * sent with cmsgbuf_sendmsg().
 *
 * Return: what sendmsg(2) returns, with errno as it sets it; or -1 before
 * sending anything, with errno EINVAL: a negative descriptor, more than
 * CMSGBUF_MAX_FDS of them, or @fds NULL with @nfds not 0.
 */
ssize_t cmsgbuf_send_fds(int sock, const void *data, size_t len, const int *fds, size_t nfds,
			 const struct cmsgbuf_ucred *cred, int flags);

/**
 * cmsgbuf_recv_fds() - receive data and up to *@nfds descriptors, strictly
 * @sock: the socket
 * @data: where the data goes, @len bytes (a datagram longer is cut, as by
 *        recv(2))
 * @fds: where the descriptors go, room for *@nfds
 * @nfds: on entry the room in @fds, on return how many were received
 * @flags: as for recvmsg(2); MSG_CMSG_CLOEXEC is always added
 *
 * Receives into CMSGBUF_RECV_MAX_SPACE bytes on the stack. Anything but one
 * SCM_RIGHTS message of at most *@nfds descriptors, or none, is an error that
 * leaves no descriptor open, as systemd's receive_one_fd() does. Other
 * control messages (credentials with SO_PASSCRED, a pidfd with SO_PASSPIDFD)
 * are dropped: the pidfd is closed. Use a struct cmsgbuf_recv to read them.
 *
 * Return: the bytes received, as recvmsg(2) returns them (0 at the end of a
 * stream), with the descriptors in @fds[0 .. *@nfds). -1 with errno as
 * recvmsg(2) sets it, or, when data was received but the control data was
 * not as asked (every descriptor it carried closed; the data consumed):
 *  - EMSGSIZE: more than *@nfds descriptors arrived;
 *  - EBADMSG: descriptors arrived in more than one message (Linux merges
 *    the rights of one send into one message: a defence for other kernels);
 *  - ENOBUFS: the kernel truncated the control data (MSG_CTRUNC: the peer
 *    sent more than fits, or not every descriptor could be installed).
 * On -1, @fds and *@nfds are untouched.
 */
ssize_t cmsgbuf_recv_fds(int sock, void *data, size_t len, int *fds, size_t *nfds, int flags);

/* private: closes every descriptor @b owns (lib/recv.c); cmsgbuf_recv_clear()'s slow path */
void cmsgbuf_private_recv_close(struct cmsgbuf_recv *b);

/*
 * Inline definitions. Not more API: the declarations above, and their
 * comments, are the contract. These are the fast paths, kept small enough
 * that a push of rights or credentials compiles to a few stores.
 */

CMSGBUF_INLINE void cmsgbuf_send_init(struct cmsgbuf_send *b, void *space, size_t size)
{
	size_t skip = -(uintptr_t)space & (CMSGBUF_HDR_ALIGN - 1);

	b->base = CMSGBUF_PRIVATE_NULL;
	b->cap = 0;
	b->len = 0;
	b->nfds = 0;
	b->once = 0;
	if (space && size > skip) {
		b->base = (unsigned char *)space + skip;
		b->cap = size - skip < (size_t)INT_MAX ? size - skip : (size_t)INT_MAX;
	}
}

CMSGBUF_INLINE void cmsgbuf_send_clear(struct cmsgbuf_send *b)
{
	b->len = 0;
	b->nfds = 0;
	b->once = 0;
}

/*
 * Rights and credentials that pass every rule are written here; any other
 * message, and every message that some rule may refuse, goes to
 * cmsgbuf_send_extend(), which applies the whole table of rules
 * (lib/kinds.c) and sets errno. So this path only ever accepts what the
 * table accepts. cap <= INT_MAX, so a message that fits cannot overflow.
 */
CMSGBUF_INLINE bool cmsgbuf_send_push(struct cmsgbuf_send *b, struct cmsgbuf_msg msg)
{
	const unsigned char *data = (const unsigned char *)msg.data;
	size_t left = b->cap - b->len, nfds = 0;
	unsigned char *p;
	struct cmsghdr h;

	/* a held payload is not at data: the two share their bytes */
	if (msg.level != SOL_SOCKET || msg.unchecked || msg.held || !data || msg.len > left ||
	    CMSG_SPACE(msg.len) > left)
		goto slow;
	if (msg.type == SCM_RIGHTS) {
		int neg = 0;

		nfds = msg.len / sizeof(int);
		/* b->nfds may pass CMSGBUF_MAX_FDS, through unchecked messages */
		if (nfds == 0 || msg.len % sizeof(int) != 0 || b->nfds + nfds > CMSGBUF_MAX_FDS)
			goto slow;
		for (size_t i = 0; i < nfds; i++) {
			int fd;

			memcpy(&fd, data + i * sizeof(int), sizeof(fd));
			neg |= fd;
		}
		if (neg < 0)
			goto slow;
	} else if (msg.type != CMSGBUF_SCM_CREDENTIALS || msg.len != sizeof(struct cmsgbuf_ucred) ||
		   (b->once & CMSGBUF_PRIVATE_ONCE_CREDENTIALS)) {
		goto slow;
	}

	p = b->base + b->len;
	memset(&h, 0, sizeof(h));	/* and so any padding member of the header */
	h.cmsg_len = (socklen_t)CMSG_LEN(msg.len);	/* at most INT_MAX: fits musl's socklen_t */
	h.cmsg_level = msg.level;
	h.cmsg_type = msg.type;
	memcpy(p, &h, sizeof(h));
	memset(p + sizeof(h), 0, CMSG_LEN(0) - sizeof(h));
	memcpy(p + CMSG_LEN(0), data, msg.len);
	memset(p + CMSG_LEN(msg.len), 0, CMSG_SPACE(msg.len) - CMSG_LEN(msg.len));
	b->len += CMSG_SPACE(msg.len);
	b->nfds += (unsigned int)nfds;
	if (msg.type != SCM_RIGHTS)
		b->once |= CMSGBUF_PRIVATE_ONCE_CREDENTIALS;
	return true;
slow: {
		/*
		 * Copies made here only, so that neither msg nor, once this is
		 * inlined, the caller's buffer must live in memory on the fast
		 * path. Field by field: a copy of the whole struct (its padding
		 * too) costs gcc a register on the fast path of the caller.
		 */
		struct cmsgbuf_msg m;
		struct cmsgbuf_send copy = *b;
		bool ok;

		m.level = msg.level;
		m.type = msg.type;
		memcpy(m.value, msg.value, sizeof(m.value));
		m.len = msg.len;
		m.unchecked = msg.unchecked;
		m.held = msg.held;
		ok = cmsgbuf_send_extend(&copy, &m, 1);

		*b = copy;
		return ok;
	}
}

CMSGBUF_INLINE void *cmsgbuf_send_control(const struct cmsgbuf_send *b)
{
	return b->len ? b->base : CMSGBUF_PRIVATE_NULL;
}

CMSGBUF_INLINE size_t cmsgbuf_send_controllen(const struct cmsgbuf_send *b)
{
	return b->len;
}

/*
 * The common send, without an address, through a libc whose sendmsg() takes
 * every buffer push builds. Where cmsg_len is narrower than the kernel's
 * (musl on 64-bit), cmsgbuf_sendmsg_any() knows the libc's limits; it also
 * sets errno for an @iovcnt too large.
 */
CMSGBUF_INLINE ssize_t cmsgbuf_sendmsg(int fd, const struct iovec *iov, size_t iovcnt,
				       const struct cmsgbuf_send *b, int flags)
{
	struct msghdr mh;

	if (sizeof(((struct cmsghdr *)CMSGBUF_PRIVATE_NULL)->cmsg_len) < sizeof(size_t) ||
	    iovcnt > INT_MAX)
		return cmsgbuf_sendmsg_any(fd, CMSGBUF_PRIVATE_NULL, 0, iov, iovcnt, b, flags);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = CMSGBUF_PRIVATE_AS(mh.msg_iovlen, iovcnt);
	if (b && b->len) {
		mh.msg_control = b->base;
		mh.msg_controllen = CMSGBUF_PRIVATE_AS(mh.msg_controllen, b->len);
	}
	return sendmsg(fd, &mh, flags);
}

/*
 * The walker's bounds are offsets compared with the bytes left, never
 * pointer sums, so no cmsg_len can make them wrap. A header is only read
 * once its start is known to be aligned and its fixed part inside.
 */
CMSGBUF_INLINE const struct cmsghdr *cmsgbuf_first(const void *control, size_t len)
{
	const struct cmsghdr *c = (const struct cmsghdr *)control;

	if (!c || (uintptr_t)c % CMSGBUF_HDR_ALIGN != 0 || len < sizeof(struct cmsghdr) ||
	    c->cmsg_len < CMSG_LEN(0) || c->cmsg_len > len)
		return CMSGBUF_PRIVATE_NULL;
	return c;
}

CMSGBUF_INLINE const struct cmsghdr *cmsgbuf_next(const void *control, size_t len,
						  const struct cmsghdr *cur)
{
	const unsigned char *base = (const unsigned char *)control;
	/* A null or foreign @cur lies outside: off > len, or no header fits there. */
	size_t off = (uintptr_t)cur - (uintptr_t)base, left = len - off, clen, pad;
	const struct cmsghdr *c;

	/*
	 * @cur is checked again, as cmsgbuf_first() checked it: the bytes may
	 * have changed since it was returned (shared memory, another thread, a
	 * caller editing a header in place).
	 */
	if (!base || ((uintptr_t)base | (uintptr_t)cur) % CMSGBUF_HDR_ALIGN != 0 || off > len ||
	    left < sizeof(struct cmsghdr))
		return CMSGBUF_PRIVATE_NULL;
	clen = cur->cmsg_len;
	if (clen < CMSG_LEN(0) || clen > left)
		return CMSGBUF_PRIVATE_NULL;
	/* The next header, as cmsgbuf_first() checks one: after the padding, a whole header. */
	pad = -clen & (CMSG_ALIGN(1) - 1);
	if (left - clen < pad + sizeof(struct cmsghdr))
		return CMSGBUF_PRIVATE_NULL;
	off += clen + pad;
	c = (const struct cmsghdr *)(const void *)(base + off);
	if (c->cmsg_len < CMSG_LEN(0) || c->cmsg_len > len - off)
		return CMSGBUF_PRIVATE_NULL;
	return c;
}

/*
 * The receive walk. b->next is where the walk goes on; the header there is
 * checked as the walker checks one (cmsgbuf_first()), with one repair: a
 * header whose cmsg_len runs past the end (other kernels report truncation
 * so; adopted bytes may hold anything) is cut to the bytes there, so that the
 * whole descriptors of a cut last message are still yielded, to be taken or
 * closed, not lost.
 * The data is aligned (cmsgbuf_recv_init() and cmsgbuf_recv_adopt() see to
 * it), and so is every header the walk reaches. b->owned counts the
 * descriptors not taken in the messages the walk has passed, so that a clear
 * after a full walk whose descriptors were all taken has nothing to do.
 */
CMSGBUF_INLINE bool cmsgbuf_recv_next(struct cmsgbuf_recv *b, struct cmsgbuf_msg *out)
{
	size_t off = b->next, left = b->len - off, clen, pad;
	struct cmsghdr *c;

	b->next = b->len;
	if (off >= b->len || left < sizeof(struct cmsghdr))
		goto end;
	c = (struct cmsghdr *)(void *)(b->data + off);
	clen = c->cmsg_len;
	if (clen < CMSG_LEN(0))
		goto end;
	if (clen > left) {
		clen = left;
		/* clen <= the old cmsg_len, so it fits the field's type, whatever the libc's */
		c->cmsg_len = CMSGBUF_PRIVATE_AS(c->cmsg_len, clen);
	}
	out->level = c->cmsg_level;
	out->type = c->cmsg_type;
	out->data = b->data + off + CMSG_LEN(0);
	out->len = clen - CMSG_LEN(0);
	out->unchecked = false;
	out->held = false;
	pad = -clen & (CMSG_ALIGN(1) - 1);
	if (pad <= left - clen)
		b->next = off + clen + pad;
	if (out->level == SOL_SOCKET)
		b->owned += cmsgbuf_msg_nfds(out);
	return true;
end:
	/* @out is always written, so no caller reads it uninitialised. */
	memset(out, 0, sizeof(*out));
	return false;
}

/* A walk of its own, on a copy: the buffer's walk and count stay as they are. */
CMSGBUF_INLINE bool cmsgbuf_recv_find(const struct cmsgbuf_recv *b, int level, int type,
				      struct cmsgbuf_msg *out)
{
	struct cmsgbuf_recv walk = *b;

	walk.next = 0;
	while (cmsgbuf_recv_next(&walk, out))
		if (out->level == level && out->type == type)
			return true;
	errno = ENOENT;
	return false;
}

CMSGBUF_INLINE bool cmsgbuf_recv_credentials(const struct cmsgbuf_recv *b, struct cmsgbuf_ucred *cred)
{
	struct cmsgbuf_msg m;

	return cmsgbuf_recv_find(b, SOL_SOCKET, CMSGBUF_SCM_CREDENTIALS, &m) &&
	       cmsgbuf_msg_credentials(&m, cred);
}

/* Once the walk has ended and every descriptor it passed was taken, nothing is left to close. */
CMSGBUF_INLINE void cmsgbuf_recv_clear(struct cmsgbuf_recv *b)
{
	if (b->next < b->len || b->owned)
		cmsgbuf_private_recv_close(b);
	b->data = CMSGBUF_PRIVATE_NULL;
	b->len = 0;
	b->next = 0;
	b->owned = 0;
	b->flags = 0;
}

CMSGBUF_INLINE ssize_t cmsgbuf_recvmsg_from(int fd, struct sockaddr *addr, socklen_t *addrlen,
					    const struct iovec *iov, size_t iovcnt,
					    struct cmsgbuf_recv *b, int flags)
{
	struct msghdr mh;
	ssize_t n;

	/* musl's msg_iovlen is an int; the kernel refuses more than IOV_MAX anyway. */
	if (iovcnt > INT_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* The kernel writes into the same space: close what it still names first. */
	cmsgbuf_recv_clear(b);
	memset(&mh, 0, sizeof(mh));
	if (addr && addrlen) {
		mh.msg_name = addr;
		mh.msg_namelen = *addrlen;
	}
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = CMSGBUF_PRIVATE_AS(mh.msg_iovlen, iovcnt);
	mh.msg_control = b->space;
	mh.msg_controllen = CMSGBUF_PRIVATE_AS(mh.msg_controllen, b->cap);
	n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	if (addr && addrlen)
		*addrlen = mh.msg_namelen;
	if (mh.msg_controllen) {
		b->data = b->space;
		b->len = mh.msg_controllen;
	}
	b->flags = mh.msg_flags;
	return n;
}

CMSGBUF_INLINE ssize_t cmsgbuf_recvmsg(int fd, const struct iovec *iov, size_t iovcnt,
				       struct cmsgbuf_recv *b, int flags)
{
	return cmsgbuf_recvmsg_from(fd, CMSGBUF_PRIVATE_NULL, CMSGBUF_PRIVATE_NULL, iov, iovcnt, b,
				    flags);
}

CMSGBUF_INLINE bool cmsgbuf_recv_truncated(const struct cmsgbuf_recv *b)
{
	return (b->flags & MSG_CTRUNC) != 0;
}

CMSGBUF_INLINE size_t cmsgbuf_msg_nfds(const struct cmsgbuf_msg *m)
{
	const unsigned char *p = (const unsigned char *)CMSGBUF_PRIVATE_PAYLOAD(m);
	size_t n = 0;

	if (m->level != SOL_SOCKET || (m->type != SCM_RIGHTS && m->type != CMSGBUF_SCM_PIDFD) || !p)
		return 0;
	for (size_t i = 0; i < m->len / sizeof(int); i++) {
		int fd;

		memcpy(&fd, p + i * sizeof(int), sizeof(fd));
		if (fd >= 0)
			n++;
	}
	return n;
}

/*
 * A message without descriptors has nothing to take, wherever it lies. One
 * with descriptors must name a message of b's data: a header at an aligned
 * offset, inside, that says what @m says. Its slots are b's bytes, so taking
 * writes -1 there; a message the walk has passed is in b->owned, and leaves it.
 */
CMSGBUF_INLINE ssize_t cmsgbuf_recv_take_fds(struct cmsgbuf_recv *b, const struct cmsgbuf_msg *m,
					     int *fds, size_t max)
{
	size_t off = (uintptr_t)m->data - (uintptr_t)b->data - CMSG_LEN(0), n, k = 0;
	unsigned char *p;
	struct cmsghdr h;
	const int taken = -1;

	if (!b->data)
		goto inval;
	n = cmsgbuf_msg_nfds(m);
	if (n == 0)
		return 0;
	/*
	 * A held message is never b's. off wraps to a huge value when m->data
	 * lies before b's first payload.
	 */
	if (m->held || off >= b->len || b->len - off < CMSG_LEN(0) || b->len - off - CMSG_LEN(0) < m->len ||
	    CMSG_ALIGN(off) != off)
		goto inval;
	memcpy(&h, b->data + off, sizeof(h));
	if (h.cmsg_level != m->level || h.cmsg_type != m->type || h.cmsg_len != CMSG_LEN(m->len))
		goto inval;
	if (n > max) {
		errno = ENOSPC;
		return -1;
	}
	p = b->data + off + CMSG_LEN(0);
	for (size_t i = 0; k < n; i++) {
		int fd;

		memcpy(&fd, p + i * sizeof(int), sizeof(fd));
		if (fd < 0)
			continue;
		fds[k++] = fd;
		memcpy(p + i * sizeof(int), &taken, sizeof(taken));
	}
	if (off < b->next)
		b->owned -= n;
	return (ssize_t)n;
inval:
	errno = EINVAL;
	return -1;
}

CMSGBUF_INLINE bool cmsgbuf_msg_credentials(const struct cmsgbuf_msg *m, struct cmsgbuf_ucred *cred)
{
	const void *p = CMSGBUF_PRIVATE_PAYLOAD(m);

	if (m->level != SOL_SOCKET || m->type != CMSGBUF_SCM_CREDENTIALS || m->len != sizeof(*cred) ||
	    !p) {
		errno = EINVAL;
		return false;
	}
	memcpy(cred, p, sizeof(*cred));
	return true;
}

/**
 * CMSGBUF_RECV_CLEANUP - clear a receive buffer when it goes out of scope
 *
 * For GNU C (gcc, clang): marks a struct cmsgbuf_recv variable so that
 * cmsgbuf_recv_clear() runs on it on every way out of its scope, each return
 * and goto out of the block included, as systemd's _cleanup_ does. Give the
 * variable a value where it is declared, since the clear may run from any
 * later line:
 *
 * assumes: int sock; struct iovec iov; int handle(struct cmsgbuf_recv *b);
 *	unsigned char space[CMSGBUF_RECV_MAX_SPACE];
 *	CMSGBUF_RECV_CLEANUP struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
 *
 *	cmsgbuf_recv_init(&b, space, sizeof(space));
 *	if (cmsgbuf_recvmsg(sock, &iov, 1, &b, 0) < 0)
 *		return -1;	// b cleared: nothing to close
 *	if (cmsgbuf_recv_truncated(&b))
 *		return -1;	// b cleared: the descriptors that came are closed
 *	return handle(&b);	// b cleared once handle() has returned
 *
 * Not defined where __GNUC__ is not: call cmsgbuf_recv_clear() there.
 */
#if defined(__GNUC__)
#define CMSGBUF_RECV_CLEANUP __attribute__((cleanup(cmsgbuf_recv_clear)))
#endif

#ifdef __cplusplus
}
#endif

#endif /* CMSGBUF_H */
