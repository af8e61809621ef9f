/*
 * cmsgbuf-udp-echo: a UDP echo server on the wildcard addresses 0.0.0.0 and
 * ::, that replies to each datagram from the address it was sent to.
 *
 *   cmsgbuf-udp-echo [PORT]
 *
 * PORT 0, or none, asks for an ephemeral port. Once it listens it prints
 * "port N" on a line of its own; SIGINT or SIGTERM ends it.
 *
 * A socket bound to a wildcard address receives for every address of the
 * host, and without more its replies leave from whichever address the route
 * prefers: a client that wrote to 127.0.0.3 gets its answer from 127.0.0.1
 * and, connected to 127.0.0.3, drops it. So the server turns IP_PKTINFO
 * (IPV6_RECVPKTINFO) on, reads each datagram's local address from the
 * received message (cmsgbuf_msg_ip_pktinfo(), cmsgbuf_msg_ipv6_pktinfo()),
 * and sends the reply with the same message (cmsgbuf_ip_pktinfo(),
 * cmsgbuf_ipv6_pktinfo()), whose ipi_spec_dst (ipi6_addr) sets the source
 * address. Datagrams go in batches of up to 32 each way,
 * with cmsgbuf_recvmmsg() and cmsgbuf_sendmmsg().
 */

#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cmsgbuf.h"

#define BATCH 32
#define MAX_DATAGRAM 2048

/* One batch of each way, the largest packet info (IPv6's) in each buffer. */
struct batch {
	struct mmsghdr in[BATCH], out[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in6 peer[BATCH];	/* a sockaddr_in fits */
	char data[BATCH][MAX_DATAGRAM];
	struct cmsgbuf_recv received[BATCH];
	struct cmsgbuf_send reply[BATCH];
	CMSGBUF_BUFFER_TYPE(CMSGBUF_IPV6_PKTINFO_SPACE) in_space[BATCH], out_space[BATCH];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Pushes onto @reply the packet info that sends from the address @received
 * came to: for IPv4, its ipi_spec_dst (the local address; for a unicast
 * datagram the one it was sent to, for a broadcast the interface's own);
 * for IPv6, its ipi6_addr and interface, which a link-local address needs.
 */
static bool reply_from(struct cmsgbuf_recv *received, struct cmsgbuf_send *reply, int family)
{
	struct cmsgbuf_msg m;

	if (family == AF_INET) {
		struct cmsgbuf_in_pktinfo got, src;

		if (!cmsgbuf_recv_find(received, IPPROTO_IP, IP_PKTINFO, &m) ||
		    !cmsgbuf_msg_ip_pktinfo(&m, &got))
			return false;
		memset(&src, 0, sizeof(src));
		src.ipi_spec_dst = got.ipi_spec_dst;
		return cmsgbuf_send_push(reply, cmsgbuf_ip_pktinfo(&src));
	} else {
		struct cmsgbuf_in6_pktinfo got;

		if (!cmsgbuf_recv_find(received, IPPROTO_IPV6, IPV6_PKTINFO, &m) ||
		    !cmsgbuf_msg_ipv6_pktinfo(&m, &got))
			return false;
		return cmsgbuf_send_push(reply, cmsgbuf_ipv6_pktinfo(&got));
	}
}

/* Echoes the datagrams waiting on @fd, a batch at a time, until none is left. */
static void echo(int fd, int family, struct batch *b)
{
	for (;;) {
		int n, sent = 0;

		for (int i = 0; i < BATCH; i++) {
			b->iov[i].iov_base = b->data[i];
			b->iov[i].iov_len = sizeof(b->data[i]);
			b->in[i].msg_hdr.msg_name = &b->peer[i];
			b->in[i].msg_hdr.msg_namelen = sizeof(b->peer[i]);	/* the kernel rewrites it */
			b->in[i].msg_hdr.msg_iov = &b->iov[i];
			b->in[i].msg_hdr.msg_iovlen = 1;
		}
		n = cmsgbuf_recvmmsg(fd, b->in, BATCH, b->received, MSG_DONTWAIT);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				perror("recvmmsg");
			return;
		}
		for (int i = 0; i < n; i++) {
			b->iov[i].iov_len = b->in[i].msg_len;
			b->out[i].msg_hdr = b->in[i].msg_hdr;	/* back to the sender, the same bytes */
			cmsgbuf_send_clear(&b->reply[i]);
			if (!reply_from(&b->received[i], &b->reply[i], family))
				fprintf(stderr, "udp-echo: no packet info: replying from any address\n");
		}
		/* A batch that stops early is resent from where it stopped; a failed datagram is skipped. */
		while (sent < n) {
			int r = cmsgbuf_sendmmsg(fd, b->out + sent, (unsigned int)(n - sent),
						 b->reply + sent, 0);

			if (r < 0) {
				perror("sendmmsg");
				r = 1;
			}
			sent += r;
		}
	}
}

/* A datagram socket on the wildcard address of @family, port @port, with packet info on. */
static int listen_on(int family, in_port_t port)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1, ok;

	if (fd < 0)
		return -1;
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
					 .sin_addr.s_addr = htonl(INADDR_ANY) };

		ok = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == 0 &&
		     bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	} else {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(port),
					  .sin6_addr = IN6ADDR_ANY_INIT };

		/* IPv4 has its own socket: this one takes IPv6 alone. */
		ok = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == 0 &&
		     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) == 0 &&
		     bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	}
	if (!ok) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static struct batch b;
	struct sigaction sa;
	struct pollfd p[2];
	struct sockaddr_in bound;
	socklen_t len = sizeof(bound);
	long port = argc > 1 ? strtol(argv[1], NULL, 10) : 0;
	int nfds = 1;

	if (argc > 2 || port < 0 || port > 65535) {
		fprintf(stderr, "usage: %s [PORT]\n", argv[0]);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	p[0].fd = listen_on(AF_INET, (in_port_t)port);
	if (p[0].fd < 0 || getsockname(p[0].fd, (struct sockaddr *)&bound, &len) != 0) {
		perror("udp-echo: 0.0.0.0");
		return 1;
	}
	/* IPv6 on the port IPv4 got, where the host has IPv6 */
	p[1].fd = listen_on(AF_INET6, ntohs(bound.sin_port));
	if (p[1].fd >= 0)
		nfds = 2;
	else
		perror("udp-echo: [::] (serving IPv4 alone)");
	for (int i = 0; i < BATCH; i++) {
		cmsgbuf_recv_init(&b.received[i], &b.in_space[i], sizeof(b.in_space[i]));
		cmsgbuf_send_init(&b.reply[i], &b.out_space[i], sizeof(b.out_space[i]));
	}
	printf("port %u\n", ntohs(bound.sin_port));
	fflush(stdout);

	while (!stop) {
		p[0].events = p[1].events = POLLIN;
		if (poll(p, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		for (int i = 0; i < nfds; i++)
			if (p[i].revents & POLLIN)
				echo(p[i].fd, i == 0 ? AF_INET : AF_INET6, &b);
	}
	for (int i = 0; i < BATCH; i++)
		cmsgbuf_recv_clear(&b.received[i]);
	for (int i = 0; i < nfds; i++)
		close(p[i].fd);
	return 0;
}
