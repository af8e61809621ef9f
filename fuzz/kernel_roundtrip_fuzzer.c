/*
 * kernel_roundtrip_fuzzer: the kernel takes every buffer cmsgbuf builds, and
 * delivers what was pushed.
 *
 * The input: u8 socket type (mod 3: SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM),
 * u8 offset of the space (mod 16), then operations until the bytes run out,
 * each an opcode byte (mod 4) and its operands:
 *   0 RIGHTS  u8 count, then count bytes: 0x80.. is fd -1 (refused), else
 *             pool[byte mod POOL]
 *   1 CREDS   the process's own credentials (the only ones anyone may claim)
 *   2 RAW     u8 level (mod 4: IPPROTO_IP, IPPROTO_IPV6, SOL_UDP, or an i32
 *             that is not SOL_SOCKET), i32 type, u8 length, payload bytes
 *   3 CLEAR
 * Raw SOL_SOCKET messages are left out: cmsgbuf takes SO_MARK and the like,
 * meant for IP sockets, which AF_UNIX refuses; other levels it skips.
 *
 * The buffer goes over a socketpair whose receiver has SO_PASSCRED. Received
 * fds must be the pushed ones, in order (same st_dev and st_ino); the
 * credentials must be the process's own. After each input no fd of the
 * process is one this target made or received: neither end of the
 * socketpair nor a copy of a pool fd (found by st_dev and st_ino), and the
 * pool fds are still the pool. The engine and the sanitizer runtime open fds
 * of their own in this process (symbolizer pipes, corpus files, -fork's
 * pipes), so the check looks for ours rather than counting them all.
 */

#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdalign.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmsgbuf.h"
#include "fuzz-input.h"

#if defined(__has_feature)
#if __has_feature(memory_sanitizer)
#include <sanitizer/msan_interface.h>
#define FUZZ_MSAN 1
#endif
#endif

#ifndef SOL_UDP
#define SOL_UDP 17
#endif

/* fuzz/meson.build's tests of the fd check: 1 leaves a received fd open, 2 an end of the socketpair */
#ifndef FUZZ_PLANTED_LEAK
#define FUZZ_PLANTED_LEAK 0
#endif

#define POOL 6
#define MAX_OPS 64
#define SPACE (CMSGBUF_RIGHTS_SPACE(CMSGBUF_MAX_FDS) + CMSGBUF_CREDENTIALS_SPACE + 512)

static int pool[POOL];
static struct stat pool_stat[POOL];
static bool pool_open;
static uid_t uid;	/* the process's, which its credentials must carry */
static gid_t gid;

/*
 * fstat(), whose result MemorySanitizer knows to be initialised. Under
 * _FILE_OFFSET_BITS=64 (Meson's default) glibc 2.33 and later name it
 * fstat64, which clang 14's MSan does not intercept: the struct stat the
 * kernel filled reads as uninitialised (fuzz/toolchain/msan-fstat64.c shows
 * it without cmsgbuf). Later MSan runtimes intercept fstat64 and unpoison it
 * just so.
 */
static int fstat_known(int fd, struct stat *st)
{
	int r = fstat(fd, st);

#ifdef FUZZ_MSAN
	if (r == 0)
		__msan_unpoison(st, sizeof(*st));
#endif
	return r;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void open_pool(void)
{
	for (int i = 0; i < POOL; i++) {
		char name[16] = "pool-0";

		name[5] = (char)('0' + i);
		pool[i] = memfd_create(name, MFD_CLOEXEC);
		fuzz_assert(pool[i] >= 0 && fstat_known(pool[i], &pool_stat[i]) == 0, "memfd_create: %s",
			    strerror(errno));
	}
	uid = getuid();
	gid = getgid();
	pool_open = true;
}

/*
 * Fails if an fd of the process @pid is an end of the socketpair (@sock) or a
 * copy of a pool fd, or if a pool fd is no longer the pool. Fds that another
 * thread of the engine closes meanwhile (fstat fails) are none of ours.
 * /proc/self/fd stays open from one input to the next; a process forked
 * since (AFL++'s fork server) opens its own, as the inherited one lists the
 * parent's fds.
 */
static void check_no_fd_left(const struct stat sock[2], pid_t pid)
{
	static DIR *d;
	static pid_t d_pid;
	struct dirent *e;
	int pool_seen = 0;

	if (d && d_pid == pid) {
		rewinddir(d);
	} else {
		if (d)
			closedir(d);
		d = opendir("/proc/self/fd");
		d_pid = pid;
	}
	fuzz_assert(d, "cannot open /proc/self/fd: %s", strerror(errno));
	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);
		struct stat st;

		if (e->d_name[0] == '.' || fd == dirfd(d) || fstat_known(fd, &st) < 0)
			continue;
		for (int i = 0; i < 2; i++)
			fuzz_assert(!same_file(&st, &sock[i]), "fd %d, an end of the socketpair, left open", fd);
		for (int i = 0; i < POOL; i++) {
			if (fd == pool[i]) {
				fuzz_assert(same_file(&st, &pool_stat[i]), "pool fd %d (%d) replaced", i, fd);
				pool_seen++;
			} else {
				fuzz_assert(!same_file(&st, &pool_stat[i]),
					    "fd %d, a received copy of pool fd %d, left open", fd, i);
			}
		}
	}
	fuzz_assert(pool_seen == POOL, "%d of the %d pool fds closed", POOL - pool_seen, POOL);
}

struct pushed {
	struct cmsgbuf_send b;
	int fd[CMSGBUF_MAX_FDS];	/* pool indices of the fds pushed, in order */
	size_t nfds;
};

static void push_rights(struct fuzz_input *in, struct pushed *p)
{
	size_t n = fuzz_u8(in);
	int fds[256], idx[256];

	for (size_t i = 0; i < n; i++) {
		unsigned int byte = fuzz_u8(in);

		idx[i] = (int)(byte % POOL);
		fds[i] = byte & 0x80 ? -1 : pool[idx[i]];
	}
	if (cmsgbuf_send_push(&p->b, cmsgbuf_rights(fds, n))) {
		memcpy(p->fd + p->nfds, idx, n * sizeof(int));
		p->nfds += n;
	}
}

static void push_raw(struct fuzz_input *in, struct pushed *p)
{
	static const int levels[] = { IPPROTO_IP, IPPROTO_IPV6, SOL_UDP };
	unsigned int sel = fuzz_u8(in) % 4;
	int level = sel < 3 ? levels[sel] : fuzz_i32(in);
	int type = fuzz_i32(in);
	size_t len = fuzz_u8(in);
	unsigned char *data = fuzz_bytes(in, len);

	if (level != SOL_SOCKET)
		cmsgbuf_send_push(&p->b, cmsgbuf_raw(level, type, data, len));
	free(data);
}

/* Checks what arrived against @p; closes every fd received, whatever it finds. */
static void check_received(const struct msghdr *mh, const struct pushed *p, pid_t pid)
{
	int got[CMSGBUF_MAX_FDS + 1];
	size_t ngot = 0, ncred = 0;
	struct cmsgbuf_ucred cred = { 0, 0, 0 };
	char why[160] = "";

	for (const struct cmsghdr *h = cmsgbuf_first(mh->msg_control, mh->msg_controllen); h;
	     h = cmsgbuf_next(mh->msg_control, mh->msg_controllen, h)) {
		size_t len = h->cmsg_len - CMSG_LEN(0);

		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
		    ngot + len / sizeof(int) <= CMSGBUF_MAX_FDS + 1) {
			memcpy(got + ngot, CMSG_DATA(h), len / sizeof(int) * sizeof(int));
			ngot += len / sizeof(int);
		} else if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == CMSGBUF_SCM_CREDENTIALS &&
			   len == sizeof(cred)) {
			memcpy(&cred, CMSG_DATA(h), sizeof(cred));
			ncred++;
		} else if (!*why) {
			snprintf(why, sizeof(why), "an unexpected message, level %d type %d",
				 h->cmsg_level, h->cmsg_type);
		}
	}
	for (size_t i = 0; i < ngot && !*why; i++) {
		struct stat st;
		const struct stat *want = i < p->nfds ? &pool_stat[p->fd[i]] : NULL;

		if (!want || fstat_known(got[i], &st) < 0 || !same_file(&st, want))
			snprintf(why, sizeof(why), "received fd %zu is not pool fd %d", i, want ? p->fd[i] : -1);
	}
	for (size_t i = 0; i < ngot; i++)
		if (!(FUZZ_PLANTED_LEAK == 1 && i == 0))
			close(got[i]);
	fuzz_assert(!*why, "%s", why);
	fuzz_assert(!(mh->msg_flags & MSG_CTRUNC), "MSG_CTRUNC on receive");
	fuzz_assert(ngot == p->nfds, "%zu fds pushed, %zu received", p->nfds, ngot);
	fuzz_assert(ncred == 1 && cred.pid == pid && cred.uid == uid && cred.gid == gid,
		    "%zu credentials received, pid %ld uid %ld gid %ld", ncred, (long)cred.pid,
		    (long)cred.uid, (long)cred.gid);
}

static void roundtrip(int type, const struct pushed *p, pid_t pid, struct stat sock[2])
{
	static const int types[] = { SOCK_DGRAM, SOCK_SEQPACKET, SOCK_STREAM };
	alignas(struct cmsghdr) unsigned char control[SPACE];
	char byte = 'x';
	struct iovec iov = { &byte, 1 };
	struct msghdr mh;
	int sv[2], on = 1;
	ssize_t n;

	fuzz_assert(socketpair(AF_UNIX, types[type] | SOCK_CLOEXEC, 0, sv) == 0 &&
		    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0,
		    "socketpair: %s", strerror(errno));
	fuzz_assert(fstat_known(sv[0], &sock[0]) == 0 && fstat_known(sv[1], &sock[1]) == 0, "fstat: %s", strerror(errno));
	n = cmsgbuf_sendmsg(sv[0], &iov, 1, &p->b, MSG_NOSIGNAL);
	if (n != 1)
		fuzz_hexdump("control", cmsgbuf_send_control(&p->b), cmsgbuf_send_controllen(&p->b));
	fuzz_assert(n == 1, "the kernel refused a buffer cmsgbuf built: %s", strerror(errno));
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = control;
	mh.msg_controllen = sizeof(control);
	n = recvmsg(sv[1], &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	fuzz_assert(n == 1, "recvmsg: %zd (%s)", n, strerror(errno));
	check_received(&mh, p, pid);
	close(sv[0]);
	if (FUZZ_PLANTED_LEAK != 2)
		close(sv[1]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	alignas(struct cmsghdr) static unsigned char space[SPACE + 16];
	static struct pushed p;
	struct fuzz_input in = { data, size };
	struct stat sock[2];
	pid_t pid = getpid();
	int type = fuzz_u8(&in) % 3;

	if (!pool_open)
		open_pool();
	cmsgbuf_send_init(&p.b, space + fuzz_u8(&in) % 16, SPACE);
	p.nfds = 0;
	for (size_t opno = 0; opno < MAX_OPS && !fuzz_done(&in); opno++) {
		switch (fuzz_u8(&in) % 4) {
		case 0:
			push_rights(&in, &p);
			break;
		case 1: {
			struct cmsgbuf_ucred me = { pid, uid, gid };

			cmsgbuf_send_push(&p.b, cmsgbuf_credentials(&me));
			break;
		}
		case 2:
			push_raw(&in, &p);
			break;
		case 3:
			cmsgbuf_send_clear(&p.b);
			p.nfds = 0;
			break;
		}
	}
	roundtrip(type, &p, pid, sock);
	check_no_fd_left(sock, pid);
	return 0;
}
