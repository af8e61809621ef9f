/*
 * The receive buffer. Read the invariant first; every function keeps it.
 *
 * Invariant: [data, data + len) is the control data of one receive (in
 * space, or adopted from the caller), and next is the offset of the first
 * message not yet yielded, a header the walker returned, or len when none is
 * left. The buffer owns exactly the descriptors of the messages from next on;
 * those before next were handed to the caller when they were yielded. So
 * clear() closes the descriptors from next on, and yielding a message is the
 * one step that moves descriptors to the caller.
 *
 * Every header is found by header_at(), the hardened walker's test plus one
 * repair: a last header whose cmsg_len runs past the end is cut to the bytes
 * there, so that the descriptors in a cut last message are not lost. It runs
 * once per message, as the walk reaches it.
 */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

/* Linux 6.5 on; the libc headers may not know it yet. */
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif

/* musl's msg_controllen is a socklen_t: keep the space below INT_MAX. */
_Static_assert(INT_MAX <= (socklen_t)-1, "socklen_t holds INT_MAX");
/* A header-only message fits whenever a header does: clamping relies on it. */
_Static_assert(CMSG_LEN(0) == sizeof(struct cmsghdr), "no padding after struct cmsghdr");

CMSGBUF_PUBLIC void cmsgbuf_recv_init(struct cmsgbuf_recv *b, void *space, size_t size)
{
	size_t skip = cmsgbuf_align_skip(space);

	*b = (struct cmsgbuf_recv)CMSGBUF_RECV_EMPTY;
	if (space && size > skip) {
		b->space = (unsigned char *)space + skip;
		b->cap = size - skip > INT_MAX ? INT_MAX : size - skip;
	}
}

/*
 * Does a received message of (@level, @type) carry descriptors the kernel
 * installed? Two kinds do, and no send-side rule of lib/kinds.c says so for
 * SCM_PIDFD, which is receive-only; so they are named here, where every
 * reader of received messages asks.
 */
static bool carries_fds(int level, int type)
{
	return level == SOL_SOCKET && (type == SCM_RIGHTS || type == SCM_PIDFD);
}

static struct cmsgbuf_msg msg_at(const unsigned char *p)
{
	struct cmsghdr h;
	struct cmsgbuf_msg m;

	memcpy(&h, p, sizeof(h));
	m.level = h.cmsg_level;
	m.type = h.cmsg_type;
	m.data = p + CMSG_LEN(0);
	m.len = h.cmsg_len - CMSG_LEN(0);
	return m;
}

/*
 * @off if a message starts there, else len: the end of the walk. As
 * cmsgbuf_first(), but for a header whose cmsg_len runs past the end. Linux
 * cuts a message that does not fit and sets its cmsg_len to what it wrote,
 * but other kernels (macOS) leave the length that was needed, and adopted
 * bytes may hold anything: such a header is cut to the bytes that are there,
 * so the message is yielded with the whole descriptors it holds.
 */
static size_t header_at(struct cmsgbuf_recv *b, size_t off)
{
	struct cmsghdr h;

	if (off >= b->len || b->len - off < sizeof(h))
		return b->len;
	memcpy(&h, b->data + off, sizeof(h));
	if (h.cmsg_len < CMSG_LEN(0))
		return b->len;
	if (h.cmsg_len > b->len - off) {
		h.cmsg_len = b->len - off;
		memcpy(b->data + off, &h, sizeof(h));
	}
	return off;
}

/* Takes over @len bytes of control data at @data, received with @flags. */
static void take(struct cmsgbuf_recv *b, void *data, size_t len, int flags)
{
	b->data = len ? data : NULL;
	b->len = b->data ? len : 0;
	b->flags = flags;
	b->next = header_at(b, 0);
}

static void close_fds(const struct cmsgbuf_msg *m)
{
	const unsigned char *p = m->data;

	if (!carries_fds(m->level, m->type))
		return;
	for (size_t i = 0; i < m->len / sizeof(int); i++) {
		int fd;

		memcpy(&fd, p + i * sizeof(int), sizeof(fd));
		/* Linux frees the descriptor even when close() fails (EINTR). */
		if (fd >= 0)
			close(fd);
	}
}

CMSGBUF_PUBLIC void cmsgbuf_recv_clear(struct cmsgbuf_recv *b)
{
	struct cmsgbuf_msg m;

	while (cmsgbuf_recv_next(b, &m))
		close_fds(&m);
	take(b, NULL, 0, 0);
}

CMSGBUF_PUBLIC bool cmsgbuf_recv_next(struct cmsgbuf_recv *b, struct cmsgbuf_msg *out)
{
	size_t pad;

	if (b->next >= b->len)
		return false;
	*out = msg_at(b->data + b->next);
	/* header_at() made sure that next + cmsg_len <= len; is the padding there? */
	pad = -(out->len + CMSG_LEN(0)) & (CMSG_ALIGN(1) - 1);
	if (pad > b->len - b->next - CMSG_LEN(0) - out->len)
		b->next = b->len;
	else
		b->next = header_at(b, b->next + CMSG_LEN(0) + out->len + pad);
	return true;
}

CMSGBUF_PUBLIC bool cmsgbuf_recv_truncated(const struct cmsgbuf_recv *b)
{
	return b->flags & MSG_CTRUNC;
}

CMSGBUF_PUBLIC int cmsgbuf_recv_flags(const struct cmsgbuf_recv *b)
{
	/* The kernel echoes MSG_CMSG_CLOEXEC, which cmsgbuf added, not the caller. */
	return b->flags & ~MSG_CMSG_CLOEXEC;
}

/* Do [p, p + n) and [q, q + m) share a byte? */
static bool overlap(const void *p, size_t n, const void *q, size_t m)
{
	uintptr_t a = (uintptr_t)p, c = (uintptr_t)q;

	return n && m && a < c + m && c < a + n;
}

CMSGBUF_PUBLIC bool cmsgbuf_recv_adopt(struct cmsgbuf_recv *b, const struct msghdr *mh)
{
	size_t len = mh->msg_control ? mh->msg_controllen : 0;

	if (len && cmsgbuf_align_skip(mh->msg_control) != 0) {
		errno = EINVAL;
		return false;
	}
	/* Bytes received over those @b held have already replaced them. */
	if (overlap(b->data, b->len, mh->msg_control, len))
		take(b, NULL, 0, 0);
	cmsgbuf_recv_clear(b);
	take(b, mh->msg_control, len, mh->msg_flags);
	return true;
}

CMSGBUF_PUBLIC ssize_t cmsgbuf_recvmsg_from(int fd, struct sockaddr *addr, socklen_t *addrlen,
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
	mh.msg_iovlen = iovcnt;
	mh.msg_control = b->space;
	mh.msg_controllen = b->cap;
	n = recvmsg(fd, &mh, flags | MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -1;
	if (addr && addrlen)
		*addrlen = mh.msg_namelen;
	take(b, mh.msg_control, mh.msg_controllen, mh.msg_flags);
	return n;
}

CMSGBUF_PUBLIC ssize_t cmsgbuf_recvmsg(int fd, const struct iovec *iov, size_t iovcnt,
				       struct cmsgbuf_recv *b, int flags)
{
	return cmsgbuf_recvmsg_from(fd, NULL, NULL, iov, iovcnt, b, flags);
}

CMSGBUF_PUBLIC size_t cmsgbuf_msg_fds(const struct cmsgbuf_msg *m, int *fds, size_t max)
{
	size_t n = carries_fds(m->level, m->type) ? m->len / sizeof(int) : 0;

	if (n && n <= max)
		memcpy(fds, m->data, n * sizeof(int));
	return n;
}

CMSGBUF_PUBLIC void cmsgbuf_msg_close_fds(const struct cmsgbuf_msg *m)
{
	close_fds(m);
}

CMSGBUF_PUBLIC bool cmsgbuf_msg_credentials(const struct cmsgbuf_msg *m, struct cmsgbuf_ucred *cred)
{
	if (m->level != SOL_SOCKET || m->type != CMSGBUF_SCM_CREDENTIALS || m->len != sizeof(*cred)) {
		errno = EINVAL;
		return false;
	}
	memcpy(cred, m->data, sizeof(*cred));
	return true;
}
