/*
 * bench-recv: reading the control data of one receive, with a struct
 * cmsgbuf_recv (cmsgbuf_recv_adopt(), then cmsgbuf_recv_next() until it says
 * no more, or one cmsgbuf_recv_credentials(), and cmsgbuf_recv_clear() as
 * its documentation asks) and with the libc's CMSG_FIRSTHDR()/CMSG_NXTHDR()
 * walk. No socket is involved: the control bytes are laid out as the kernel
 * lays them out, once, and both sides read them with the same length checks
 * and the same copies.
 *
 *  - drain_udp_4: what a UDP server with IP_PKTINFO, IP_RECVTTL, IP_RECVTOS
 *    and SO_TIMESTAMPNS receives; no descriptor.
 *  - drain_unix_fd: credentials and one descriptor, which the reader takes
 *    (cmsgbuf_recv_take_fds()) and closes. The descriptor is real: before
 *    each call, prep dup()s one and writes its number where the kernel would
 *    have, so the dup() is in the timing of both sides (and outside
 *    callgrind's count); the close() is in both.
 *  - find_credentials: the credentials of the receive above, without the
 *    descriptor: cmsgbuf_recv_credentials() against the loop that finds the
 *    message (systemd's CMSG_FIND_DATA()). The reader takes no descriptor,
 *    so both sides close it: the hand side as systemd's cmsg_close_all()
 *    does, the cmsgbuf side by its clear.
 */

#include <stdalign.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cmsgbuf.h"
#include "bench.h"

#define UDP_SPACE (CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(int)) + \
		   CMSG_SPACE(1) + CMSG_SPACE(sizeof(struct timespec)))
#define UNIX_SPACE (CMSGBUF_CREDENTIALS_SPACE + CMSGBUF_RIGHTS_SPACE(1))

struct udp_seen {
	struct in_pktinfo pktinfo;
	int ttl;
	unsigned char tos;
	struct timespec stamp;
};

struct unix_seen {
	struct cmsgbuf_ucred cred;
	int fd;
};

struct ctx {
	struct {
		alignas(struct cmsghdr) unsigned char bytes[UDP_SPACE];
	} udp;
	struct {
		alignas(struct cmsghdr) unsigned char bytes[UNIX_SPACE];
	} unx;
	struct msghdr udp_mh, unix_mh;	/* as recvmsg(2) would leave them */
	unsigned char *fd_slot;		/* where the kernel writes the descriptor */
	int fd_source;			/* what prep dup()s */
	struct cmsgbuf_recv b;
	struct udp_seen udp_seen;
	struct unix_seen unix_seen;
};

static inline void read_udp(struct udp_seen *s, int level, int type, const void *data, size_t len)
{
	if (level == IPPROTO_IP && type == IP_PKTINFO && len == sizeof(s->pktinfo))
		memcpy(&s->pktinfo, data, sizeof(s->pktinfo));
	else if (level == IPPROTO_IP && type == IP_TTL && len == sizeof(s->ttl))
		memcpy(&s->ttl, data, sizeof(s->ttl));
	else if (level == IPPROTO_IP && type == IP_TOS && len == 1)
		s->tos = *(const unsigned char *)data;
	else if (level == SOL_SOCKET && type == SO_TIMESTAMPNS && len == sizeof(s->stamp))
		memcpy(&s->stamp, data, sizeof(s->stamp));
}

static BENCH_NOINLINE void bench_op_drain_udp_4_cmsgbuf(void *p)
{
	struct ctx *c = p;
	struct udp_seen s = { 0 };
	struct cmsgbuf_msg m;

	if (!cmsgbuf_recv_adopt(&c->b, &c->udp_mh))
		bench_fail("adopt");
	while (cmsgbuf_recv_next(&c->b, &m))
		read_udp(&s, m.level, m.type, m.data, m.len);
	cmsgbuf_recv_clear(&c->b);
	c->udp_seen = s;
	bench_escape(&c->udp_seen);
}

static BENCH_NOINLINE void bench_op_drain_udp_4_hand(void *p)
{
	struct ctx *c = p;
	struct udp_seen s = { 0 };

	for (struct cmsghdr *h = CMSG_FIRSTHDR(&c->udp_mh); h; h = CMSG_NXTHDR(&c->udp_mh, h))
		read_udp(&s, h->cmsg_level, h->cmsg_type, CMSG_DATA(h), h->cmsg_len - CMSG_LEN(0));
	c->udp_seen = s;
	bench_escape(&c->udp_seen);
}

static void dup_one(void *p)
{
	struct ctx *c = p;
	int fd = dup(c->fd_source);

	if (fd < 0)
		bench_fail("dup");
	memcpy(c->fd_slot, &fd, sizeof(fd));
}

static BENCH_NOINLINE void bench_op_drain_unix_fd_cmsgbuf(void *p)
{
	struct ctx *c = p;
	struct unix_seen s = { { 0, 0, 0 }, -1 };
	struct cmsgbuf_msg m;

	if (!cmsgbuf_recv_adopt(&c->b, &c->unix_mh))
		bench_fail("adopt");
	while (cmsgbuf_recv_next(&c->b, &m)) {
		/* 1 for the rights, 0 for the credentials; any more stay the buffer's */
		(void)cmsgbuf_recv_take_fds(&c->b, &m, &s.fd, 1);
		(void)cmsgbuf_msg_credentials(&m, &s.cred);
	}
	cmsgbuf_recv_clear(&c->b);
	if (s.fd >= 0)
		close(s.fd);
	c->unix_seen = s;
	bench_escape(&c->unix_seen);
}

static BENCH_NOINLINE void bench_op_drain_unix_fd_hand(void *p)
{
	struct ctx *c = p;
	struct unix_seen s = { { 0, 0, 0 }, -1 };

	for (struct cmsghdr *h = CMSG_FIRSTHDR(&c->unix_mh); h; h = CMSG_NXTHDR(&c->unix_mh, h)) {
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
		    h->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&s.fd, CMSG_DATA(h), sizeof(int));
		else if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS &&
			 h->cmsg_len == CMSG_LEN(sizeof(s.cred)))
			memcpy(&s.cred, CMSG_DATA(h), sizeof(s.cred));
	}
	if (s.fd >= 0)
		close(s.fd);
	c->unix_seen = s;
	bench_escape(&c->unix_seen);
}

static BENCH_NOINLINE void bench_op_find_credentials_cmsgbuf(void *p)
{
	struct ctx *c = p;
	struct unix_seen s = { { 0, 0, 0 }, -1 };

	if (!cmsgbuf_recv_adopt(&c->b, &c->unix_mh))
		bench_fail("adopt");
	if (!cmsgbuf_recv_credentials(&c->b, &s.cred))
		bench_fail("no credentials");
	cmsgbuf_recv_clear(&c->b);
	c->unix_seen = s;
	bench_escape(&c->unix_seen);
}

static BENCH_NOINLINE void bench_op_find_credentials_hand(void *p)
{
	struct ctx *c = p;
	struct unix_seen s = { { 0, 0, 0 }, -1 };
	struct cmsghdr *h;

	for (h = CMSG_FIRSTHDR(&c->unix_mh); h; h = CMSG_NXTHDR(&c->unix_mh, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS &&
		    h->cmsg_len == CMSG_LEN(sizeof(s.cred)))
			break;
	if (!h)
		bench_fail("no credentials");
	memcpy(&s.cred, CMSG_DATA(h), sizeof(s.cred));
	/* what the reader does not take, it closes */
	for (h = CMSG_FIRSTHDR(&c->unix_mh); h; h = CMSG_NXTHDR(&c->unix_mh, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; CMSG_LEN((i + 1) * sizeof(int)) <= h->cmsg_len; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(fd));
				close(fd);
			}
	c->unix_seen = s;
	bench_escape(&c->unix_seen);
}

static const struct bench_op ops[] = {
	BENCH_OP(drain_udp_4, 1, NULL, false),
	BENCH_OP(drain_unix_fd, 1, dup_one, false),
	BENCH_OP(find_credentials, 1, dup_one, false),
};

static struct cmsghdr *put(struct msghdr *mh, struct cmsghdr *h, int level, int type,
			   const void *data, size_t len)
{
	h = h ? CMSG_NXTHDR(mh, h) : CMSG_FIRSTHDR(mh);
	h->cmsg_level = level;
	h->cmsg_type = type;
	h->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(h), data, len);
	return h;
}

int main(int argc, char **argv)
{
	static struct ctx c;
	struct in_pktinfo pi = { 0 };
	int ttl = 64, fd = -1;
	unsigned char tos = 0x10;
	struct timespec stamp = { 1, 2 };
	struct cmsgbuf_ucred cred = { 1, 2, 3 };
	struct cmsghdr *h = NULL;
	struct udp_seen by_cmsgbuf;

	pi.ipi_ifindex = 2;
	c.udp_mh.msg_control = c.udp.bytes;
	c.udp_mh.msg_controllen = sizeof(c.udp.bytes);
	h = put(&c.udp_mh, h, IPPROTO_IP, IP_PKTINFO, &pi, sizeof(pi));
	h = put(&c.udp_mh, h, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	h = put(&c.udp_mh, h, IPPROTO_IP, IP_TOS, &tos, sizeof(tos));
	put(&c.udp_mh, h, SOL_SOCKET, SO_TIMESTAMPNS, &stamp, sizeof(stamp));

	c.unix_mh.msg_control = c.unx.bytes;
	c.unix_mh.msg_controllen = sizeof(c.unx.bytes);
	h = put(&c.unix_mh, NULL, SOL_SOCKET, SCM_CREDENTIALS, &cred, sizeof(cred));
	h = put(&c.unix_mh, h, SOL_SOCKET, SCM_RIGHTS, &fd, sizeof(fd));
	c.fd_slot = CMSG_DATA(h);
	c.fd_source = STDERR_FILENO;
	cmsgbuf_recv_init(&c.b, NULL, 0);

	/* Both sides must read the same values, and take the descriptor. */
	bench_op_drain_udp_4_cmsgbuf(&c);
	by_cmsgbuf = c.udp_seen;
	bench_op_drain_udp_4_hand(&c);
	if (memcmp(&by_cmsgbuf, &c.udp_seen, sizeof(by_cmsgbuf)) != 0 || c.udp_seen.ttl != ttl ||
	    c.udp_seen.tos != tos || c.udp_seen.stamp.tv_nsec != 2)
		bench_fail("drain_udp_4: the sides disagree");
	for (int side = 0; side < 2; side++) {
		dup_one(&c);
		memcpy(&fd, c.fd_slot, sizeof(fd));
		ops[1].run[side](&c);
		if (c.unix_seen.fd != fd || c.unix_seen.cred.gid != 3 || close(fd) == 0)
			bench_fail("drain_unix_fd: the descriptor was not taken and closed");
		dup_one(&c);
		memcpy(&fd, c.fd_slot, sizeof(fd));
		ops[2].run[side](&c);
		if (c.unix_seen.cred.gid != 3 || close(fd) == 0)
			bench_fail("find_credentials: the credentials not read, or the descriptor left open");
	}
	return bench_main(argc, argv, ops, sizeof(ops) / sizeof(ops[0]), &c);
}
