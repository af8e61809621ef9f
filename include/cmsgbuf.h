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
 *	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2))];
 *	struct cmsgbuf_send b;
 *	int fds[2] = { file, pipe_end };
 *
 *	cmsgbuf_send_init(&b, space, sizeof(space));
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
 *  - A message the kernel would reject, silently drop or merge is refused at
 *    push time (see cmsgbuf_send_push()).
 *  - The walker never reads outside the buffer and always ends, whatever the
 *    bytes hold.
 *
 * Nothing allocates memory. All state lives in the caller's structs.
 *
 * Errors are reported the C way: functions that can fail return false (or -1)
 * and set errno.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
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
 * under _GNU_SOURCE.
 */
#ifdef __cplusplus
#define CMSGBUF_HDR_ALIGN alignof(struct cmsghdr)
#else
#define CMSGBUF_HDR_ALIGN _Alignof(struct cmsghdr)
#endif
#define CMSGBUF_MAX_FDS 253
#ifdef SCM_CREDENTIALS
#define CMSGBUF_SCM_CREDENTIALS SCM_CREDENTIALS
#else
#define CMSGBUF_SCM_CREDENTIALS 2
#endif

/**
 * struct cmsgbuf_ucred - credentials, laid out as Linux's struct ucred
 * @pid: process id; 0 in received credentials means "none"
 * @uid: user id; (uid_t)-1 in received credentials means "none"
 * @gid: group id; (gid_t)-1 in received credentials means "none"
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
 * CMSGBUF_SPACE(total) adds, once, the slack needed to align a buffer that may
 * start at any address, so that
 *
 *	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2) +
 *					  CMSGBUF_CREDENTIALS_SPACE)];
 *
 * holds exactly those two messages wherever space lies. A buffer that is
 * already aligned (say, a union with struct cmsghdr) needs no slack.
 */
#define CMSGBUF_RAW_SPACE(len) CMSG_SPACE(len)
#define CMSGBUF_RIGHTS_SPACE(n) CMSG_SPACE((n) * sizeof(int))
#define CMSGBUF_CREDENTIALS_SPACE CMSG_SPACE(sizeof(struct cmsgbuf_ucred))
#define CMSGBUF_SPACE(total) ((total) + CMSGBUF_HDR_ALIGN - 1)

/**
 * struct cmsgbuf_msg - one control message, as pushed or as received
 * @level: cmsg_level, such as SOL_SOCKET or IPPROTO_IP
 * @type: cmsg_type, such as SCM_RIGHTS or IP_TOS
 * @data: the payload; may be NULL only when @len is 0
 * @len: the payload's length in bytes
 *
 * A message only points at its payload: nothing is copied until it is pushed.
 */
struct cmsgbuf_msg {
	int level;
	int type;
	const void *data;
	size_t len;
};

/**
 * cmsgbuf_rights() - an SCM_RIGHTS message carrying @n descriptors
 * @fds: the descriptors; they are copied by number when the message is pushed,
 *       and stay owned by the caller (the kernel duplicates them on send)
 * @n: how many
 */
static inline struct cmsgbuf_msg cmsgbuf_rights(const int *fds, size_t n)
{
	struct cmsgbuf_msg m = { SOL_SOCKET, SCM_RIGHTS, fds, 0 };

	/* A count too large to express in bytes keeps a length push refuses. */
	m.len = n > (size_t)INT_MAX / sizeof(int) ? (size_t)-1 : n * sizeof(int);
	return m;
}

/**
 * cmsgbuf_credentials() - an SCM_CREDENTIALS message
 * @cred: the credentials to claim; the kernel checks that the sender may
 *        claim them (sendmsg(2) fails with EPERM otherwise)
 */
static inline struct cmsgbuf_msg cmsgbuf_credentials(const struct cmsgbuf_ucred *cred)
{
	struct cmsgbuf_msg m = { SOL_SOCKET, CMSGBUF_SCM_CREDENTIALS, cred, sizeof(*cred) };

	return m;
}

/**
 * cmsgbuf_raw() - any control message, given by level, type and payload
 *
 * Push still applies every rule it knows for (@level, @type): a raw
 * SCM_RIGHTS message is checked like one made by cmsgbuf_rights().
 */
static inline struct cmsgbuf_msg cmsgbuf_raw(int level, int type, const void *data, size_t len)
{
	struct cmsgbuf_msg m = { level, type, data, len };

	return m;
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
	unsigned int once;	/* private: one bit per once-only kind present */
};

/* An empty buffer, without space: every push fails with ENOSPC. */
#define CMSGBUF_SEND_EMPTY { NULL, 0, 0, 0, 0 }

/**
 * cmsgbuf_send_init() - start an empty buffer in the caller's space
 * @b: the buffer
 * @space: any address; may be NULL when @size is 0
 * @size: any size
 *
 * Uses the bytes of [@space, @space + @size) from the first one aligned for
 * struct cmsghdr on. A region too small to hold that byte gives an empty
 * buffer without space. Nothing is written until a push.
 */
void cmsgbuf_send_init(struct cmsgbuf_send *b, void *space, size_t size);

/* cmsgbuf_send_clear() - delete every message; the space stays. */
void cmsgbuf_send_clear(struct cmsgbuf_send *b);

/**
 * cmsgbuf_send_push() - append one message
 *
 * Return: true when the message was added. false when it was not; then the
 * buffer, its length and every byte of its space are as they were, and errno
 * is, in the order checked:
 *  - EINVAL: @msg.data is NULL with a nonzero length;
 *  - EOVERFLOW: the payload length exceeds INT_MAX, or the buffer's total
 *    would (the kernel refuses a control length above INT_MAX with ENOBUFS);
 *  - EINVAL: the kernel would reject, drop or merge the message:
 *    - SCM_RIGHTS: no descriptor (the kernel ignores it), a length that is not
 *      a multiple of sizeof(int), a negative descriptor (EBADF), or more than
 *      CMSGBUF_MAX_FDS descriptors across all rights messages in the buffer
 *      (the kernel merges them into one and refuses more than SCM_MAX_FD);
 *    - SCM_CREDENTIALS: a payload other than one struct cmsgbuf_ucred, or a
 *      second credentials message (the kernel keeps only the last);
 *    - another SOL_SOCKET type the kernel does not take on send;
 *    - the IP and UDP messages cmsgbuf knows (see cmsgbuf(3)): a wrong payload
 *      length, a value out of the kernel's range, or a second message of the
 *      same kind (the kernel keeps only the last);
 *  - ENOSPC: the message does not fit in the space left.
 * Messages of other levels and types are copied as they are.
 */
bool cmsgbuf_send_push(struct cmsgbuf_send *b, struct cmsgbuf_msg msg);

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
void *cmsgbuf_send_control(const struct cmsgbuf_send *b);

/* cmsgbuf_send_controllen() - msg_controllen for sendmsg(2); at most INT_MAX. */
size_t cmsgbuf_send_controllen(const struct cmsgbuf_send *b);

/*
 * sendmsg wrappers: fill a struct msghdr from @iov, @iovcnt and @b (which may
 * be NULL: no control data) and call sendmsg(2). They return what sendmsg(2)
 * returns and set errno as it does; an empty buffer is passed as a NULL
 * msg_control with msg_controllen 0. Stream sockets need at least one byte of
 * data to carry control messages.
 *
 * cmsgbuf_sendmsg_unix() takes the address length, since it tells a path
 * ("/run/x.sock"), an abstract address (sun_path[0] == '\0') and an unnamed
 * one (sizeof(sa_family_t)) apart. cmsgbuf_sendmsg_any() takes any address,
 * or NULL for none.
 */
ssize_t cmsgbuf_sendmsg(int fd, const struct iovec *iov, size_t iovcnt,
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
 * NULL @control yields no header. @cur must come from the same walk.
 */
const struct cmsghdr *cmsgbuf_first(const void *control, size_t len);
const struct cmsghdr *cmsgbuf_next(const void *control, size_t len,
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

#ifdef __cplusplus
}
#endif

#endif /* CMSGBUF_H */
