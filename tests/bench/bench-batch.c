/*
 * bench-batch: UDP over loopback, in datagrams per second.
 *
 *  - gso_60000: 60,000 bytes as 50 datagrams of 1,200. The cmsgbuf side is
 *    one sendmsg with a UDP_SEGMENT message of 1,200 (pushed onto a buffer
 *    as cmsgbuf_udp_segment(), sent with cmsgbuf_sendmsg()); the hand-written side
 *    is what GSO replaces, 50 plain send() calls. The receiver never reads:
 *    once its buffer is full the kernel drops what arrives, the same for
 *    both sides, so that neither side's figure includes a receiver.
 *  - recvmmsg_32: 32 datagrams queued (before each call, by prep: one
 *    sendmmsg of 32, timed on both sides, not counted by callgrind) to a
 *    receiver with IP_PKTINFO and IP_RECVTOS on, drained in one recvmmsg and
 *    every datagram's packet info and TOS read. The cmsgbuf side uses
 *    cmsgbuf_recvmmsg() with a struct cmsgbuf_recv per datagram,
 *    cmsgbuf_recv_next() and the readers cmsgbuf_msg_ip_pktinfo() and
 *    cmsgbuf_msg_ip_tos(); the hand-written side resets each msg_controllen,
 *    calls recvmmsg(2) and walks each datagram with CMSG_FIRSTHDR() and
 *    CMSG_NXTHDR(), with the same length checks and copies.
 *  - recvmmsg_noise: the hand-written drain against itself.
 */

#include <stdalign.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cmsgbuf.h"
#include "bench.h"

#define GSO_SEGMENT 1200
#define GSO_SEGMENTS 50
#define DRAIN 32
#define DRAIN_SPACE (CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(1))

struct seen {
	struct in_pktinfo pktinfo;
	unsigned char tos;
};

struct ctx {
	int gso_tx, gso_rx;		/* a connected sender, a receiver that never reads */
	int tx, rx;			/* the drain's sender (TOS set) and receiver */
	unsigned char payload[GSO_SEGMENT * GSO_SEGMENTS];
	struct mmsghdr out[DRAIN];	/* prep's batch */
	struct iovec out_iov[DRAIN];
	struct mmsghdr in[DRAIN];
	struct iovec in_iov[DRAIN];
	unsigned char data[DRAIN][64];
	struct {
		alignas(struct cmsghdr) unsigned char bytes[DRAIN_SPACE];
	} space[DRAIN];
	struct cmsgbuf_recv bufs[DRAIN];
	struct seen seen[DRAIN];
};

static BENCH_NOINLINE void bench_op_gso_60000_cmsgbuf(void *p)
{
	struct ctx *c = p;
	CMSGBUF_BUFFER_TYPE(CMSGBUF_UDP_SEGMENT_SPACE) space;
	struct cmsgbuf_send b;
	struct iovec iov = { c->payload, sizeof(c->payload) };

	cmsgbuf_send_init(&b, &space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_udp_segment(GSO_SEGMENT)))
		bench_fail("push UDP_SEGMENT");
	if (cmsgbuf_sendmsg(c->gso_tx, &iov, 1, &b, 0) != (ssize_t)sizeof(c->payload))
		bench_fail("sendmsg with UDP_SEGMENT");
}

static BENCH_NOINLINE void bench_op_gso_60000_hand(void *p)
{
	struct ctx *c = p;

	for (int i = 0; i < GSO_SEGMENTS; i++)
		if (send(c->gso_tx, c->payload + i * GSO_SEGMENT, GSO_SEGMENT, 0) != GSO_SEGMENT)
			bench_fail("send");
}

static inline void read_one(struct seen *s, int level, int type, const void *data, size_t len)
{
	if (level == IPPROTO_IP && type == IP_PKTINFO && len == sizeof(s->pktinfo))
		memcpy(&s->pktinfo, data, sizeof(s->pktinfo));
	else if (level == IPPROTO_IP && type == IP_TOS && len == 1)
		s->tos = *(const unsigned char *)data;
}

/* Queues DRAIN datagrams for the receiver. */
static void queue_batch(void *p)
{
	struct ctx *c = p;

	if (sendmmsg(c->tx, c->out, DRAIN, 0) != DRAIN)
		bench_fail("prep: sendmmsg");
}

static BENCH_NOINLINE void bench_op_recvmmsg_32_cmsgbuf(void *p)
{
	struct ctx *c = p;
	struct cmsgbuf_msg m;

	if (cmsgbuf_recvmmsg(c->rx, c->in, DRAIN, c->bufs, 0) != DRAIN)
		bench_fail("cmsgbuf_recvmmsg");
	for (int i = 0; i < DRAIN; i++) {
		struct cmsgbuf_in_pktinfo info = { 0, { 0 }, { 0 } };
		struct seen s = { { 0 }, 0 };
		int tos = 0;

		while (cmsgbuf_recv_next(&c->bufs[i], &m))
			if (!cmsgbuf_msg_ip_pktinfo(&m, &info))
				(void)cmsgbuf_msg_ip_tos(&m, &tos);
		/* the same layout, the same member names */
		s.pktinfo.ipi_ifindex = info.ipi_ifindex;
		s.pktinfo.ipi_spec_dst = info.ipi_spec_dst;
		s.pktinfo.ipi_addr = info.ipi_addr;
		s.tos = (unsigned char)tos;
		c->seen[i] = s;
	}
	bench_escape(c->seen);
}

static BENCH_NOINLINE void bench_op_recvmmsg_32_hand(void *p)
{
	struct ctx *c = p;

	for (int i = 0; i < DRAIN; i++) {
		c->in[i].msg_hdr.msg_control = c->space[i].bytes;
		c->in[i].msg_hdr.msg_controllen = sizeof(c->space[i].bytes);
	}
	if (recvmmsg(c->rx, c->in, DRAIN, 0, NULL) != DRAIN)
		bench_fail("recvmmsg");
	for (int i = 0; i < DRAIN; i++) {
		struct msghdr *mh = &c->in[i].msg_hdr;
		struct seen s = { { 0 }, 0 };

		for (struct cmsghdr *h = CMSG_FIRSTHDR(mh); h; h = CMSG_NXTHDR(mh, h))
			read_one(&s, h->cmsg_level, h->cmsg_type, CMSG_DATA(h),
				 h->cmsg_len - CMSG_LEN(0));
		c->seen[i] = s;
	}
	bench_escape(c->seen);
}

/*
 * The noise floor: the hand-written drain in both columns. On a quiet
 * machine its ratio reads 1.000; how far it strays is the size of
 * difference recvmmsg_32 can resolve.
 */
static BENCH_NOINLINE void bench_op_recvmmsg_noise_cmsgbuf(void *p)
{
	bench_op_recvmmsg_32_hand(p);
}

static BENCH_NOINLINE void bench_op_recvmmsg_noise_hand(void *p)
{
	bench_op_recvmmsg_32_hand(p);
}

static const struct bench_op ops[] = {
	BENCH_OP(gso_60000, GSO_SEGMENTS, NULL, true),
	BENCH_OP(recvmmsg_32, DRAIN, queue_batch, true),
	BENCH_OP(recvmmsg_noise, DRAIN, queue_batch, true),
};

/* A UDP socket bound to 127.0.0.1 on an ephemeral port, and its address. */
static int bound(struct sockaddr_in *a)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	socklen_t len = sizeof(*a);

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)a, sizeof(*a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)a, &len) != 0)
		bench_fail("socket");
	return fd;
}

static void set_int(int fd, int level, int name, int value)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)) != 0)
		bench_fail("setsockopt");
}

int main(int argc, char **argv)
{
	static struct ctx c;
	struct sockaddr_in gso_to, to;
	struct seen by_cmsgbuf[DRAIN];

	c.gso_rx = bound(&gso_to);
	c.gso_tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c.gso_tx < 0 || connect(c.gso_tx, (struct sockaddr *)&gso_to, sizeof(gso_to)) != 0)
		bench_fail("connect");
	memset(c.payload, 'x', sizeof(c.payload));

	c.rx = bound(&to);
	set_int(c.rx, IPPROTO_IP, IP_PKTINFO, 1);
	set_int(c.rx, IPPROTO_IP, IP_RECVTOS, 1);
	set_int(c.rx, SOL_SOCKET, SO_RCVBUF, 1 << 20);
	c.tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c.tx < 0 || connect(c.tx, (struct sockaddr *)&to, sizeof(to)) != 0)
		bench_fail("connect");
	set_int(c.tx, IPPROTO_IP, IP_TOS, 0x10);
	for (int i = 0; i < DRAIN; i++) {
		c.out_iov[i].iov_base = c.payload;
		c.out_iov[i].iov_len = 32;
		c.out[i].msg_hdr.msg_iov = &c.out_iov[i];
		c.out[i].msg_hdr.msg_iovlen = 1;
		c.in_iov[i].iov_base = c.data[i];
		c.in_iov[i].iov_len = sizeof(c.data[i]);
		c.in[i].msg_hdr.msg_iov = &c.in_iov[i];
		c.in[i].msg_hdr.msg_iovlen = 1;
		cmsgbuf_recv_init(&c.bufs[i], c.space[i].bytes, sizeof(c.space[i].bytes));
	}

	/* Both sides must read the same packet info and TOS of every datagram. */
	queue_batch(&c);
	bench_op_recvmmsg_32_cmsgbuf(&c);
	memcpy(by_cmsgbuf, c.seen, sizeof(by_cmsgbuf));
	queue_batch(&c);
	bench_op_recvmmsg_32_hand(&c);
	if (memcmp(by_cmsgbuf, c.seen, sizeof(by_cmsgbuf)) != 0 || c.seen[DRAIN - 1].tos != 0x10 ||
	    c.seen[0].pktinfo.ipi_addr.s_addr != htonl(INADDR_LOOPBACK))
		bench_fail("recvmmsg_32: the sides disagree");
	bench_op_gso_60000_cmsgbuf(&c);
	bench_op_gso_60000_hand(&c);
	return bench_main(argc, argv, ops, sizeof(ops) / sizeof(ops[0]), &c);
}
