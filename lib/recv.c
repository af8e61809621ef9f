/*
 * The receive buffer. Read the invariant first; every function keeps it.
 *
 * Invariant: [data, data + len) is the control data of one receive (in
 * space, or adopted from the caller), and next is where the walk goes on:
 * the offset just past the last message yielded (0 before the first), or len
 * once the walk has ended. The buffer owns exactly the descriptors in those
 * bytes that are not negative: the kernel writes none, and taking one
 * (cmsgbuf_recv_take_fds()) writes -1 in its slot, so the bytes are the
 * ledger and nothing is allocated. owned counts those of the messages before
 * next. So clear() has nothing to close when next == len and owned == 0, and
 * otherwise walks the whole data again and closes what it finds.
 *
 * The receive, the walk (cmsgbuf_recv_next()), cmsgbuf_recv_clear()'s fast
 * path, the take and the readers of a message are inline in cmsgbuf.h; what
 * stays here sets a buffer up, hands it control data the caller received, or
 * closes descriptors (close() needs <unistd.h>, which cmsgbuf.h does not
 * impose on its users).
 */

#include "private.h"	/* first: it sets _GNU_SOURCE */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

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

/* Takes over @len bytes of control data at @data, received with @flags, into an empty @b. */
static void take(struct cmsgbuf_recv *b, void *data, size_t len, int flags)
{
	b->data = len ? data : NULL;
	b->len = b->data ? len : 0;
	b->flags = flags;
	b->next = 0;
	b->owned = 0;
}

CMSGBUF_PUBLIC int cmsgbuf_recv_flags(const struct cmsgbuf_recv *b)
{
	/* The kernel echoes MSG_CMSG_CLOEXEC, which cmsgbuf added, not the caller. */
	return b->flags & ~MSG_CMSG_CLOEXEC;
}

CMSGBUF_PUBLIC bool cmsgbuf_recv_adopt(struct cmsgbuf_recv *b, const struct msghdr *mh)
{
	size_t len = mh->msg_control ? mh->msg_controllen : 0;

	/*
	 * Never a guess at whether the bytes held are still those received:
	 * refuse. If they are not (the caller received into them), the count of
	 * owned descriptors is stale too: from now on clear walks all the bytes.
	 * Half of SIZE_MAX is more than the bytes can name (len / sizeof(int)),
	 * so that no count of takes brings it to 0 and no count of yields wraps it.
	 */
	if (b->len) {
		b->owned = SIZE_MAX / 2;
		errno = EBUSY;
		return false;
	}
	if (len && cmsgbuf_align_skip(mh->msg_control) != 0) {
		errno = EINVAL;
		return false;
	}
	take(b, mh->msg_control, len, mh->msg_flags);
	return true;
}

/* Every slot not negative of every fd-carrying message: closed, and marked taken. */
CMSGBUF_PUBLIC void cmsgbuf_private_recv_close(struct cmsgbuf_recv *b)
{
	struct cmsgbuf_recv walk = *b;
	struct cmsgbuf_msg m;
	const int taken = -1;

	walk.next = 0;
	while (cmsgbuf_recv_next(&walk, &m)) {
		unsigned char *p = b->data + ((const unsigned char *)m.data - b->data);

		if (cmsgbuf_msg_nfds(&m) == 0)
			continue;
		for (size_t i = 0; i < m.len / sizeof(int); i++) {
			int fd;

			memcpy(&fd, p + i * sizeof(int), sizeof(fd));
			if (fd < 0)
				continue;
			/* Linux frees the descriptor even when close() fails (EINTR). */
			close(fd);
			memcpy(p + i * sizeof(int), &taken, sizeof(taken));
		}
	}
	b->owned = 0;
	b->next = b->len;
}

/* The exported copies of the receive side's inline functions of cmsgbuf.h. */
extern inline bool cmsgbuf_recv_next(struct cmsgbuf_recv *b, struct cmsgbuf_msg *out);
extern inline bool cmsgbuf_recv_find(const struct cmsgbuf_recv *b, int level, int type,
				     struct cmsgbuf_msg *out);
extern inline bool cmsgbuf_recv_credentials(const struct cmsgbuf_recv *b, struct cmsgbuf_ucred *cred);
extern inline void cmsgbuf_recv_clear(struct cmsgbuf_recv *b);
extern inline ssize_t cmsgbuf_recvmsg_from(int fd, struct sockaddr *addr, socklen_t *addrlen,
					   const struct iovec *iov, size_t iovcnt,
					   struct cmsgbuf_recv *b, int flags);
extern inline ssize_t cmsgbuf_recvmsg(int fd, const struct iovec *iov, size_t iovcnt,
				      struct cmsgbuf_recv *b, int flags);
extern inline bool cmsgbuf_recv_truncated(const struct cmsgbuf_recv *b);
extern inline size_t cmsgbuf_msg_nfds(const struct cmsgbuf_msg *m);
extern inline ssize_t cmsgbuf_recv_take_fds(struct cmsgbuf_recv *b, const struct cmsgbuf_msg *m,
					    int *fds, size_t max);
extern inline bool cmsgbuf_msg_credentials(const struct cmsgbuf_msg *m, struct cmsgbuf_ucred *cred);
