/*
 * The receive buffer. Read the invariant first; every function keeps it.
 *
 * Invariant: [data, data + len) is the control data of one receive (in
 * space, or adopted from the caller), and next is where the walk goes on:
 * the offset just past the last message yielded (0 before the first), or len
 * once the walk has ended. The buffer owns exactly the descriptors of the
 * messages from next on; those before next were handed to the caller when
 * they were yielded. So clear() closes the descriptors from next on, and
 * yielding a message is the one step that moves descriptors to the caller.
 *
 * The receive, the walk (cmsgbuf_recv_next()), cmsgbuf_recv_clear() and the
 * readers of a message are inline in cmsgbuf.h; what stays here sets a
 * buffer up, hands it control data the caller received, or closes
 * descriptors (close() needs <unistd.h>, which cmsgbuf.h does not impose on
 * its users).
 */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "private.h"

/* musl's msg_controllen is a socklen_t: keep the space below INT_MAX. */
_Static_assert(INT_MAX <= (socklen_t)-1, "socklen_t holds INT_MAX");
/* A header-only message fits whenever a header does: cmsgbuf_recv_next()'s repair relies on it. */
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

/* Takes over @len bytes of control data at @data, received with @flags. */
static void take(struct cmsgbuf_recv *b, void *data, size_t len, int flags)
{
	b->data = len ? data : NULL;
	b->len = b->data ? len : 0;
	b->flags = flags;
	b->next = 0;
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
	/* After a full walk, as usual, there is nothing to close. */
	if (b->next < b->len)
		cmsgbuf_recv_clear(b);
	take(b, mh->msg_control, len, mh->msg_flags);
	return true;
}

CMSGBUF_PUBLIC void cmsgbuf_msg_close_fds(const struct cmsgbuf_msg *m)
{
	const unsigned char *p = m->data;
	size_t n = cmsgbuf_msg_fds(m, NULL, 0);

	for (size_t i = 0; i < n; i++) {
		int fd;

		memcpy(&fd, p + i * sizeof(int), sizeof(fd));
		/* Linux frees the descriptor even when close() fails (EINTR). */
		if (fd >= 0)
			close(fd);
	}
}

/* The exported copies of the receive side's inline functions of cmsgbuf.h. */
extern inline bool cmsgbuf_recv_next(struct cmsgbuf_recv *b, struct cmsgbuf_msg *out);
extern inline void cmsgbuf_recv_clear(struct cmsgbuf_recv *b);
extern inline ssize_t cmsgbuf_recvmsg_from(int fd, struct sockaddr *addr, socklen_t *addrlen,
					   const struct iovec *iov, size_t iovcnt,
					   struct cmsgbuf_recv *b, int flags);
extern inline ssize_t cmsgbuf_recvmsg(int fd, const struct iovec *iov, size_t iovcnt,
				      struct cmsgbuf_recv *b, int flags);
extern inline bool cmsgbuf_recv_truncated(const struct cmsgbuf_recv *b);
extern inline size_t cmsgbuf_msg_fds(const struct cmsgbuf_msg *m, int *fds, size_t max);
extern inline bool cmsgbuf_msg_credentials(const struct cmsgbuf_msg *m, struct cmsgbuf_ucred *cred);
