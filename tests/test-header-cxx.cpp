/*
 * C++ uses the header: it compiles as C++11 with warnings as errors
 * (test-header.sh), and this program links against the C library through
 * its extern "C" declarations and round-trips one message.
 */
#include "cmsgbuf.h"

#include <cstdio>

static_assert(CMSGBUF_HDR_ALIGN == alignof(struct cmsghdr), "CMSGBUF_HDR_ALIGN");

int main()
{
	unsigned char bytes[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	CMSGBUF_BUFFER_TYPE(CMSGBUF_RIGHTS_SPACE(1)) space;
	struct cmsgbuf_send b = CMSGBUF_SEND_EMPTY;
	int fd = 1;

	static_assert(sizeof(space) == CMSGBUF_RIGHTS_SPACE(1), "CMSGBUF_BUFFER_TYPE's size");
	cmsgbuf_send_init(&b, bytes, sizeof(bytes));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1))) {
		std::perror("cmsgbuf_send_push into a byte array");
		return 1;
	}
	cmsgbuf_send_init(&b, &space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1))) {
		std::perror("cmsgbuf_send_push");
		return 1;
	}
	/* a held value, in C++'s anonymous union */
	CMSGBUF_BUFFER_TYPE(CMSGBUF_IP_TTL_SPACE + CMSGBUF_IPV6_PKTINFO_SPACE) udp;
	struct cmsgbuf_in6_pktinfo pktinfo = {};

	cmsgbuf_send_init(&b, &udp, sizeof(udp));
	if (!cmsgbuf_send_push(&b, cmsgbuf_ip_ttl(64)) ||
	    !cmsgbuf_send_push(&b, cmsgbuf_ipv6_pktinfo(&pktinfo)) ||
	    cmsgbuf_send_controllen(&b) != sizeof(udp)) {
		std::perror("cmsgbuf_send_push of IP_TTL and IPV6_PKTINFO");
		return 1;
	}
	cmsgbuf_send_init(&b, &space, sizeof(space));
	if (!cmsgbuf_send_push(&b, cmsgbuf_rights(&fd, 1)))
		return 1;
	const void *control = cmsgbuf_send_control(&b);
	size_t len = cmsgbuf_send_controllen(&b);
	const struct cmsghdr *c = cmsgbuf_first(control, len);

	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    cmsgbuf_next(control, len, c) != nullptr) {
		std::fprintf(stderr, "the walker does not see the one rights message pushed\n");
		return 1;
	}
	if (cmsgbuf_check(control, len) != CMSGBUF_WELL_FORMED) {
		std::fprintf(stderr, "pushed buffer is not well-formed: %s\n",
			     cmsgbuf_defect_str(cmsgbuf_check(control, len)));
		return 1;
	}
	return 0;
}
