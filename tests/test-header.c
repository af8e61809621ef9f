/*
 * The public header on its own: this file includes nothing else, and
 * test-header.sh compiles it as C99, C11, C17 and C2x (strict and GNU) with
 * every compiler it finds, warnings as errors. Each macro and inline function
 * is used once, so that a warning inside any of them shows.
 */
#include "cmsgbuf.h"

/* Names a program may use: the header pulls in only what its types need. */
#ifdef _UNISTD_H
#error "cmsgbuf.h includes <unistd.h> (pause(), link(), ... would clash with a caller's own)"
#endif

/* C99 gets CMSGBUF_HDR_ALIGN from __alignof__: the same value as C11's _Alignof. */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(CMSGBUF_HDR_ALIGN == _Alignof(struct cmsghdr), "CMSGBUF_HDR_ALIGN");
#if defined(__GNUC__)
_Static_assert(__alignof__(struct cmsghdr) == _Alignof(struct cmsghdr), "__alignof__");
#endif
#endif

/* An integer constant expression in every mode: a negative array size otherwise fails. */
typedef char space_macros_are_constant[CMSGBUF_RECV_MAX_SPACE > CMSGBUF_HDR_ALIGN ? 1 : -1];

/* A buffer type may be a struct member at any offset, even under -Wpedantic. */
struct holder {
	char c;
	CMSGBUF_BUFFER_TYPE(CMSGBUF_RIGHTS_SPACE(1)) space;
};

int main(void)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1) + CMSGBUF_CREDENTIALS_SPACE +
					  CMSGBUF_RAW_SPACE(sizeof(int)))];
	struct holder h;
	struct cmsgbuf_send b = CMSGBUF_SEND_EMPTY;
#if defined(CMSGBUF_RECV_CLEANUP)
	CMSGBUF_RECV_CLEANUP struct cmsgbuf_recv r = CMSGBUF_RECV_EMPTY;
#endif
	struct cmsgbuf_ucred cred = { 0, 0, 0 };
	int fd = 0;
	struct cmsgbuf_msg m[3], v[13];

	m[0] = cmsgbuf_rights(&fd, 1);
	m[1] = cmsgbuf_credentials(&cred);
	m[2] = cmsgbuf_raw(IPPROTO_IP, 1, &fd, sizeof(fd));
	/* the value constructors, and their space macros, need no feature macro */
	v[0] = cmsgbuf_udp_segment(1200);
	v[1] = cmsgbuf_ip_pktinfo((const struct cmsgbuf_in_pktinfo *)(const void *)space);
	v[2] = cmsgbuf_ipv6_pktinfo((const struct cmsgbuf_in6_pktinfo *)(const void *)space);
	v[3] = cmsgbuf_ip_tos(1);
	v[4] = cmsgbuf_ipv6_tclass(1);
	v[5] = cmsgbuf_ip_ttl(1);
	v[6] = cmsgbuf_ipv6_hoplimit(1);
	v[7] = cmsgbuf_ipv6_dontfrag(1);
	v[8] = cmsgbuf_txtime(1);
	v[9] = cmsgbuf_mark(1);
	v[10] = cmsgbuf_priority(1);
	v[11] = cmsgbuf_tx_timestamping(1);
	v[12] = cmsgbuf_ts_opt_id(1);
	if (v[0].len + v[12].len == 0 || CMSGBUF_UDP_SEGMENT_SPACE + CMSGBUF_IP_PKTINFO_SPACE +
	    CMSGBUF_IPV6_PKTINFO_SPACE + CMSGBUF_IP_TOS_SPACE + CMSGBUF_IPV6_TCLASS_SPACE +
	    CMSGBUF_IP_TTL_SPACE + CMSGBUF_IPV6_HOPLIMIT_SPACE + CMSGBUF_IPV6_DONTFRAG_SPACE +
	    CMSGBUF_TXTIME_SPACE + CMSGBUF_MARK_SPACE + CMSGBUF_PRIORITY_SPACE +
	    CMSGBUF_TX_TIMESTAMPING_SPACE + CMSGBUF_TS_OPT_ID_SPACE == 0)
		return 1;
	h.c = 0;
	(void)space;
	(void)b;
#if defined(CMSGBUF_RECV_CLEANUP)
	(void)r;
#endif
	return m[0].len + m[1].len + m[2].len == 0 || CMSGBUF_MAX_FDS != 253 ||
	       CMSGBUF_HDR_ALIGN == 0 || CMSGBUF_SCM_CREDENTIALS == 0 ||
	       sizeof(h.space) != CMSGBUF_RIGHTS_SPACE(1);
}
