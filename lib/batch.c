/*
 * The batch wrappers: sendmmsg(2) and recvmmsg(2) with one cmsgbuf buffer per
 * message. They fill in the control fields of the caller's struct mmsghdr
 * array and leave every other field as the caller set it, so they need no
 * scratch of their own: a batch of any size costs no memory.
 *
 * struct mmsghdr is declared by the libcs only under _GNU_SOURCE (which
 * lib/meson.build defines), so cmsgbuf.h names it as an incomplete type and
 * these are not inline.
 */

#include "private.h"	/* first: it sets _GNU_SOURCE */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#ifdef CMSGBUF_LIBC_CONTROL_MAX
#include <sys/syscall.h>
#include <unistd.h>
#endif

#ifdef CMSGBUF_LIBC_CONTROL_MAX
/*
 * musl on 64-bit (lib/meson.build tells): its sendmmsg() is a loop of its
 * sendmsg(), which fails with ENOMEM above 1024 bytes of control data (see
 * sendmsg.c). The same loop here, with the longer buffers given to the kernel
 * directly; the msghdr copy zeroes the padding musl's struct has beside
 * msg_iovlen and msg_controllen, as musl's sendmsg() does. As musl's and the
 * kernel's: an error after the first message ends the batch, reported as the
 * count sent.
 */
static int send_each(int fd, struct mmsghdr *msgs, unsigned int n, int flags)
{
	unsigned int i;

	if (n == 0)
		return 0;
	if (n > IOV_MAX)
		n = IOV_MAX;	/* the kernel's limit, which musl applies too */
	for (i = 0; i < n; i++) {
		const struct msghdr *h = &msgs[i].msg_hdr;
		struct msghdr mh;
		ssize_t r;

		memset(&mh, 0, sizeof(mh));
		mh.msg_name = h->msg_name;
		mh.msg_namelen = h->msg_namelen;
		mh.msg_iov = h->msg_iov;
		mh.msg_iovlen = h->msg_iovlen;
		mh.msg_control = h->msg_control;
		mh.msg_controllen = h->msg_controllen;
		if (mh.msg_controllen > CMSGBUF_LIBC_CONTROL_MAX)
			r = syscall(SYS_sendmsg, fd, &mh, flags);
		else
			r = sendmsg(fd, &mh, flags);
		if (r < 0)
			break;
		msgs[i].msg_len = (unsigned int)r;
	}
	return i ? (int)i : -1;
}
#endif

CMSGBUF_PUBLIC int cmsgbuf_sendmmsg(int fd, struct mmsghdr *msgs, unsigned int n,
				    const struct cmsgbuf_send *bufs, int flags)
{
	for (unsigned int i = 0; i < n; i++) {
		struct msghdr *h = &msgs[i].msg_hdr;
		size_t len = bufs ? cmsgbuf_send_controllen(&bufs[i]) : 0;

		h->msg_control = len ? cmsgbuf_send_control(&bufs[i]) : NULL;
		h->msg_controllen = len;
		msgs[i].msg_len = 0;
	}
#ifdef CMSGBUF_LIBC_CONTROL_MAX
	return send_each(fd, msgs, n, flags);
#else
	return sendmmsg(fd, msgs, n, flags);
#endif
}

CMSGBUF_PUBLIC int cmsgbuf_recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n,
				    struct cmsgbuf_recv *bufs, int flags)
{
	int r;

	/* The kernel writes into each buffer's space: close what it still names first. */
	for (unsigned int i = 0; i < n; i++) {
		struct msghdr *h = &msgs[i].msg_hdr;

		if (bufs)
			cmsgbuf_recv_clear(&bufs[i]);
		h->msg_control = bufs && bufs[i].cap ? bufs[i].space : NULL;
		h->msg_controllen = bufs ? bufs[i].cap : 0;
	}
	r = recvmmsg(fd, msgs, n, flags | MSG_CMSG_CLOEXEC, NULL);
	if (r <= 0 || !bufs)
		return r;
	for (int i = 0; i < r; i++) {
		const struct msghdr *h = &msgs[i].msg_hdr;

		if (h->msg_controllen) {
			bufs[i].data = bufs[i].space;
			bufs[i].len = h->msg_controllen;
		}
		bufs[i].flags = h->msg_flags;
	}
	return r;
}
