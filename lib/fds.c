/*
 * Descriptors in one call: cmsgbuf_send_fds() and cmsgbuf_recv_fds(), the
 * everyday fd passing, written with the public API alone and the control
 * space on the stack. The receive is strict as systemd's receive_one_fd():
 * what it does not hand out, it closes.
 */

#include "private.h"	/* first: it sets _GNU_SOURCE */

#include <errno.h>
#include <string.h>

CMSGBUF_PUBLIC ssize_t cmsgbuf_send_fds(int sock, const void *data, size_t len, const int *fds,
					size_t nfds, const struct cmsgbuf_ucred *cred, int flags)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS) +
					  CMSGBUF_CREDENTIALS_SPACE)];
	struct iovec iov = { (void *)(uintptr_t)data, len };
	struct cmsgbuf_send b;

	/* as many as no push takes, but a count so large push would say EOVERFLOW */
	if (nfds > CMSGBUF_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	cmsgbuf_send_init(&b, space, sizeof(space));
	/*
	 * push refuses a NULL @fds and a negative fd with EINVAL; the space
	 * holds both messages, so the credentials always fit after the rights
	 * (their push cannot fail: its failing branch is left out of coverage)
	 */
	if ((nfds && !cmsgbuf_send_push(&b, cmsgbuf_rights(fds, nfds))) ||
	    (cred && !cmsgbuf_send_push(&b, cmsgbuf_credentials(cred)))) /* GCOVR_EXCL_BR_LINE */
		return -1;
	return cmsgbuf_sendmsg(sock, &iov, 1, &b, flags);
}

/*
 * The first rights message that carries descriptors is the one; a second is
 * an error. Nothing is taken until every check has passed, so that on error
 * the clear closes every descriptor, and @fds is untouched.
 */
CMSGBUF_PUBLIC ssize_t cmsgbuf_recv_fds(int sock, void *data, size_t len, int *fds, size_t *nfds,
					int flags)
{
	union {
		struct cmsghdr align;
		unsigned char bytes[CMSGBUF_RECV_MAX_SPACE];
	} space;
	struct iovec iov = { data, len };
	struct cmsgbuf_recv b = CMSGBUF_RECV_EMPTY;
	struct cmsgbuf_msg m, rights;
	size_t found = 0;
	ssize_t n, got = 0;
	int err = 0;

	/* read only once found is set; zeroed for compilers that cannot see it */
	memset(&rights, 0, sizeof(rights));
	/* aligned already, and far below INT_MAX: what cmsgbuf_recv_init() would make of it */
	b.space = space.bytes;
	b.cap = sizeof(space.bytes);
	n = cmsgbuf_recvmsg(sock, &iov, 1, &b, flags);
	if (n < 0)
		return -1;
	if (cmsgbuf_recv_truncated(&b))
		err = ENOBUFS;
	while (!err && cmsgbuf_recv_next(&b, &m)) {
		size_t k;

		if (m.level != SOL_SOCKET || m.type != SCM_RIGHTS)
			continue;
		/*
		 * Defences for other kernels, left out of coverage: Linux puts a
		 * rights message only when it installed an fd (scm_detach_fds()),
		 * and merges one send's rights into one message.
		 */
		if ((k = cmsgbuf_msg_nfds(&m)) == 0) /* GCOVR_EXCL_BR_LINE */
			continue; /* GCOVR_EXCL_LINE */
		if (found) /* GCOVR_EXCL_BR_LINE */
			err = EBADMSG; /* GCOVR_EXCL_LINE */
		else if (k > *nfds)
			err = EMSGSIZE;
		rights = m;
		found = k;
	}
	if (!err && found)
		got = cmsgbuf_recv_take_fds(&b, &rights, fds, found);
	cmsgbuf_recv_clear(&b);
	if (err) {
		errno = err;
		return -1;
	}
	*nfds = (size_t)got;
	return n;
}
