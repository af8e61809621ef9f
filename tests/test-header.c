/*
 * The public header on its own: this file includes nothing else, and
 * test-header.sh compiles it as C11 with every compiler it finds, warnings
 * as errors. Each macro and inline function is used once, so that a warning
 * inside any of them shows.
 */
#include "cmsgbuf.h"

/* Names a program may use: the header pulls in only what its types need. */
#ifdef _UNISTD_H
#error "cmsgbuf.h includes <unistd.h> (pause(), link(), ... would clash with a caller's own)"
#endif

int main(void)
{
	unsigned char space[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1) + CMSGBUF_CREDENTIALS_SPACE +
					  CMSGBUF_RAW_SPACE(sizeof(int)))];
	struct cmsgbuf_send b = CMSGBUF_SEND_EMPTY;
	struct cmsgbuf_ucred cred = { 0, 0, 0 };
	int fd = 0;
	struct cmsgbuf_msg m[3];

	m[0] = cmsgbuf_rights(&fd, 1);
	m[1] = cmsgbuf_credentials(&cred);
	m[2] = cmsgbuf_raw(IPPROTO_IP, 1, &fd, sizeof(fd));
	(void)space;
	(void)b;
	return m[0].len + m[1].len + m[2].len == 0 || CMSGBUF_MAX_FDS != 253 ||
	       CMSGBUF_HDR_ALIGN == 0 || CMSGBUF_SCM_CREDENTIALS == 0;
}
