/*
 * The sendmsg(2) wrappers: one msghdr filler, five address flavours. The
 * common one, cmsgbuf_sendmsg(), has an inline fast path in cmsgbuf.h that
 * comes here whenever the libc needs what is done here.
 */

#include "private.h"	/* first: it sets _GNU_SOURCE */

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <sys/syscall.h>
#include <unistd.h>

/*
 * musl on 64-bit: its cmsg_len is a socklen_t beside a padding field that
 * the kernel reads as half of a size_t, so its sendmsg() copies the control
 * data into 1024 bytes of stack to zero that padding, and fails with ENOMEM
 * above (253 descriptors take 1032). Told by the libc's own struct, as the
 * inline cmsgbuf_sendmsg() tells it, so that lib/ built by any build system
 * does the same; on every other libc the test is false at compile time.
 */
#define LIBC_COPIES_CONTROL (sizeof(((struct cmsghdr *)0)->cmsg_len) < sizeof(size_t))
#define LIBC_CONTROL_MAX 1024

CMSGBUF_PUBLIC ssize_t cmsgbuf_sendmsg_any(int fd, const struct sockaddr *addr, socklen_t addrlen,
			    const struct iovec *iov, size_t iovcnt,
			    const struct cmsgbuf_send *b, int flags)
{
	struct msghdr mh;

	/* musl's msg_iovlen is an int; the kernel refuses more than IOV_MAX anyway. */
	if (iovcnt > INT_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = addr ? (void *)(uintptr_t)addr : NULL;
	mh.msg_namelen = addr ? addrlen : 0;
	mh.msg_iov = (struct iovec *)(uintptr_t)iov;
	mh.msg_iovlen = iovcnt;
	if (b && cmsgbuf_send_controllen(b)) {
		mh.msg_control = cmsgbuf_send_control(b);
		mh.msg_controllen = cmsgbuf_send_controllen(b);
	}
	/*
	 * Push zeroed the padding already, as memset() did msghdr's: a buffer
	 * longer than such a libc takes goes to the kernel directly (then not
	 * a cancellation point).
	 */
	if (LIBC_COPIES_CONTROL && mh.msg_controllen > LIBC_CONTROL_MAX)
		return syscall(SYS_sendmsg, fd, &mh, flags);
	return sendmsg(fd, &mh, flags);
}

/* The exported copy of the inline cmsgbuf_sendmsg() of cmsgbuf.h. */
extern inline ssize_t cmsgbuf_sendmsg(int fd, const struct iovec *iov, size_t iovcnt,
				      const struct cmsgbuf_send *b, int flags);

CMSGBUF_PUBLIC ssize_t cmsgbuf_sendmsg_v4(int fd, const struct sockaddr_in *addr,
			   const struct iovec *iov, size_t iovcnt,
			   const struct cmsgbuf_send *b, int flags)
{
	return cmsgbuf_sendmsg_any(fd, (const struct sockaddr *)addr, addr ? sizeof(*addr) : 0,
				   iov, iovcnt, b, flags);
}

CMSGBUF_PUBLIC ssize_t cmsgbuf_sendmsg_v6(int fd, const struct sockaddr_in6 *addr,
			   const struct iovec *iov, size_t iovcnt,
			   const struct cmsgbuf_send *b, int flags)
{
	return cmsgbuf_sendmsg_any(fd, (const struct sockaddr *)addr, addr ? sizeof(*addr) : 0,
				   iov, iovcnt, b, flags);
}

CMSGBUF_PUBLIC ssize_t cmsgbuf_sendmsg_unix(int fd, const struct sockaddr_un *addr, socklen_t addrlen,
			     const struct iovec *iov, size_t iovcnt,
			     const struct cmsgbuf_send *b, int flags)
{
	return cmsgbuf_sendmsg_any(fd, (const struct sockaddr *)addr, addrlen, iov, iovcnt, b, flags);
}
