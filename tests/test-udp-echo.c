/*
 * test-udp-echo PROGRAM: the example UDP echo server (docs/examples/udp-echo.c)
 * replies from the address each datagram was sent to. The group starts it
 * on an ephemeral port (it prints the port), every test talks to it as a
 * client over loopback, and the group's end stops it with SIGTERM and
 * expects a clean exit.
 *
 * 127.0.0.0/8 is all local on loopback, so a client bound to 127.0.0.2 can
 * write to 127.0.0.3: a server bound to 0.0.0.0 receives it, and without
 * IP_PKTINFO on its reply its answer would come from 127.0.0.1.
 *
 * Under qemu-user (scripts/test-platforms' foreign builds) the program is
 * skipped: qemu runs it, but the kernel cannot exec the foreign example.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cmsgbuf.h"
#include "helpers.h"

static const char *program;
static pid_t server;
static in_port_t port;

static int start_server(void **state)
{
	int out[2];
	FILE *f;
	unsigned int p;

	(void)state;
	if (pipe(out) != 0)
		return -1;
	server = fork();
	if (server < 0)
		return -1;
	if (server == 0) {
		dup2(out[1], STDOUT_FILENO);
		close(out[0]);
		close(out[1]);
		execl(program, program, "0", (char *)NULL);
		perror(program);
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	if (!f || fscanf(f, "port %u", &p) != 1 || p == 0 || p > 65535) {
		print_error("%s did not say its port\n", program);
		return -1;
	}
	fclose(f);
	port = (in_port_t)p;
	return 0;
}

static int stop_server(void **state)
{
	int status;

	(void)state;
	if (kill(server, SIGTERM) != 0 || waitpid(server, &status, 0) != server)
		return -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		print_error("the server ended with status %#x, not exit 0\n", (unsigned int)status);
		return -1;
	}
	return 0;
}

/* A client socket of @family bound to @src (a numeric address), with a receive timeout. */
static int client(int family, const char *src)
{
	struct timeval tv = { 5, 0 };
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)), 0);
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET };

		assert_int_equal(inet_pton(AF_INET, src, &a.sin_addr), 1);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
			fail_msg("bind to %s: %s", src, strerror(errno));
	} else {
		struct sockaddr_in6 a = { .sin6_family = AF_INET6 };

		assert_int_equal(inet_pton(AF_INET6, src, &a.sin6_addr), 1);
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
			fail_msg("bind to %s: %s", src, strerror(errno));
	}
	return fd;
}

/* The server's address @dst, numeric, of @family. */
static socklen_t server_at(int family, const char *dst, struct sockaddr_in6 *to)
{
	memset(to, 0, sizeof(*to));
	if (family == AF_INET) {
		struct sockaddr_in *v4 = (struct sockaddr_in *)(void *)to;

		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, dst, &v4->sin_addr), 1);
		return sizeof(*v4);
	}
	to->sin6_family = AF_INET6;
	to->sin6_port = htons(port);
	assert_int_equal(inet_pton(AF_INET6, dst, &to->sin6_addr), 1);
	return sizeof(*to);
}

/* Receives one reply on @fd and checks its payload and that it came from @want (numeric). */
static void expect_reply(int fd, int family, const char *payload, const char *want)
{
	struct sockaddr_in6 from;
	socklen_t len = sizeof(from);
	char got[64], addr[INET6_ADDRSTRLEN];
	ssize_t n = recvfrom(fd, got, sizeof(got), 0, (struct sockaddr *)&from, &len);
	const void *a = family == AF_INET ? (const void *)&((struct sockaddr_in *)(void *)&from)->sin_addr
					  : (const void *)&from.sin6_addr;

	if (n < 0)
		fail_msg("no reply to \"%s\": %s", payload, strerror(errno));
	assert_int_equal(n, strlen(payload));
	assert_memory_equal(got, payload, strlen(payload));
	assert_non_null(inet_ntop(family, a, addr, sizeof(addr)));
	if (strcmp(addr, want) != 0)
		fail_msg("the reply to \"%s\" came from %s, not %s", payload, addr, want);
	assert_int_equal(ntohs(from.sin6_port), port);	/* sin_port lies at the same offset */
}

static void send_to(int fd, int family, const char *dst, const char *payload)
{
	struct sockaddr_in6 to;
	socklen_t len = server_at(family, dst, &to);

	if (sendto(fd, payload, strlen(payload), 0, (struct sockaddr *)&to, len) < 0)
		fail_msg("sendto %s: %s", dst, strerror(errno));
}

static void v4_reply_comes_from_the_address_sent_to(void **state)
{
	int fd = client(AF_INET, "127.0.0.2");

	(void)state;
	send_to(fd, AF_INET, "127.0.0.3", "hello");
	expect_reply(fd, AF_INET, "hello", "127.0.0.3");
	close(fd);
}

/*
 * More datagrams than the server's batch of 32, to three addresses in turn,
 * all queued before the server reads: it receives them in batches and each
 * reply still comes from the address of its own datagram.
 */
static void v4_batches_reply_each_from_its_own_address(void **state)
{
	static const char *const dst[3] = { "127.0.0.3", "127.0.0.1", "127.0.0.9" };
	int fd = client(AF_INET, "127.0.0.2"), rcvbuf = 1 << 20;

	(void)state;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
	for (int i = 0; i < 80; i++) {
		char payload[16];

		snprintf(payload, sizeof(payload), "d%d", i);
		send_to(fd, AF_INET, dst[i % 3], payload);
	}
	for (int i = 0; i < 80; i++) {
		char payload[16];

		snprintf(payload, sizeof(payload), "d%d", i);
		expect_reply(fd, AF_INET, payload, dst[i % 3]);
	}
	close(fd);
}

static void v6_reply_comes_from_the_address_sent_to(void **state)
{
	int fd;

	(void)state;
	if (!ipv6_loopback_configured()) {
		print_message("# ::1 is not configured on this machine: IPv6 not exercised\n");
		return;
	}
	fd = client(AF_INET6, "::1");
	send_to(fd, AF_INET6, "::1", "hello6");
	expect_reply(fd, AF_INET6, "hello6", "::1");
	close(fd);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(v4_reply_comes_from_the_address_sent_to),
		cmocka_unit_test(v4_batches_reply_each_from_its_own_address),
		cmocka_unit_test(v6_reply_comes_from_the_address_sent_to),
	};

	if (argc != 2) {
		fprintf(stderr, "usage: %s UDP-ECHO-PROGRAM\n", argv[0]);
		return 2;
	}
	/* qemu-user runs this program, but cannot exec the example's foreign binary. */
	if (under_qemu()) {
		printf("1..0 # SKIP under qemu-user, which does not follow exec into %s\n", argv[1]);
		return 0;
	}
	program = argv[1];
	return cmocka_run_group_tests(tests, start_server, stop_server);
}
