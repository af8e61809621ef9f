/*
 * test-no-alloc: the send, walk, receive and batch paths call no malloc, calloc,
 * realloc or free, with real sockets and real descriptors.
 *
 * This program defines the allocator itself, so every call to it, from
 * libcmsgbuf, the libc or cmocka, lands here and is counted. It hands out
 * memory from a static arena and never takes any back: enough for one test
 * program, and it needs nothing from the libc's allocator, so it works the
 * same with glibc and musl, shared or static. The first test proves that the
 * counting reaches into a shared library, as a call from libcmsgbuf would.
 * It is compiled with -fno-builtin, so that the compiler does not assume
 * that malloc() and free() leave the counter alone.
 *
 * Two runtimes take malloc over and would hide calls from the counter: a
 * sanitizer's (ASan, TSan, MSan: meson's b_sanitize, or the compiler's own
 * macros) and valgrind's. Under either the program runs no test and exits
 * 77, which meson's exitcode protocol reports as skipped; the plain gcc and
 * clang runs of scripts/test count.
 */

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>

#include "cmsgbuf.h"
#include "helpers.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

#ifndef CMSGBUF_TEST_SANITIZED
#define CMSGBUF_TEST_SANITIZED 0
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#undef CMSGBUF_TEST_SANITIZED
#define CMSGBUF_TEST_SANITIZED 1
#endif
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#undef CMSGBUF_TEST_SANITIZED
#define CMSGBUF_TEST_SANITIZED 1
#endif
#endif

/*
 * The allocator: every entry point counts one call. Not even defined under a
 * sanitizer, whose runtime calls malloc() before main() and needs its own.
 */

static unsigned long allocator_calls;

#if !CMSGBUF_TEST_SANITIZED
static alignas(max_align_t) unsigned char arena[8 << 20];
static size_t arena_used;

/* @size bytes aligned to @align (a power of two, at least max_align_t's),
 * with their size in the word before them, for realloc(). */
static void *arena_take(size_t align, size_t size)
{
	uintptr_t base = (uintptr_t)arena, at;

	if (align < alignof(max_align_t))
		align = alignof(max_align_t);
	at = (base + arena_used + sizeof(size_t) + align - 1) & ~(uintptr_t)(align - 1);
	if (size > sizeof(arena) || at - base > sizeof(arena) - size) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy((void *)(at - sizeof(size_t)), &size, sizeof(size));
	arena_used = at - base + size;
	return (void *)at;
}

void *malloc(size_t size)
{
	allocator_calls++;
	return arena_take(0, size);
}

void *calloc(size_t n, size_t size)
{
	allocator_calls++;
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	/* The arena is static and never reused: its bytes are still zero. */
	return arena_take(0, n * size);
}

void *realloc(void *old, size_t size)
{
	size_t old_size;
	void *p;

	allocator_calls++;
	p = arena_take(0, size);
	if (p && old) {
		memcpy(&old_size, (unsigned char *)old - sizeof(size_t), sizeof(old_size));
		memcpy(p, old, old_size < size ? old_size : size);
	}
	return p;
}

void free(void *p)
{
	(void)p;
	allocator_calls++;
}

void *aligned_alloc(size_t align, size_t size)
{
	allocator_calls++;
	return arena_take(align, size);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p;

	allocator_calls++;
	p = arena_take(align, size);
	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}
#endif

/* The tests */

#define assert_no_allocation(before, what)                                               \
	do {                                                                             \
		unsigned long calls_ = allocator_calls - (before);                       \
		if (calls_ != 0)                                                         \
			fail_msg("%s called the allocator %lu times", (what), calls_);   \
	} while (0)

#define SPACE (CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE))

static const struct cmsgbuf_ucred *me(void)
{
	static struct cmsgbuf_ucred cred;

	cred = (struct cmsgbuf_ucred){ getpid(), getuid(), getgid() };
	return &cred;
}

/* An AF_UNIX datagram pair whose receiving end [1] gets credentials. */
static void unix_pair(int sv[2])
{
	int on = 1;

	assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)), 0);
}

/* Sends two descriptors and credentials from sv[0]. */
static void send_two_fds(const int sv[2])
{
	unsigned char space[SPACE];
	struct cmsgbuf_send b;
	int fds[2] = { STDIN_FILENO, STDERR_FILENO };
	struct iovec iov = { "x", 1 };

	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 2)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(me())));
	assert_int_equal(cmsgbuf_sendmsg(sv[0], &iov, 1, &b, 0), 1);
}

static void counting_sees_allocations_in_a_shared_library(void **state)
{
	/* Called through a pointer, so the compiler cannot turn it into malloc(). */
	char *(*volatile libc_strdup)(const char *) = strdup;
	unsigned long before = allocator_calls;
	char *copy;

	(void)state;
	copy = libc_strdup("x");
	assert_non_null(copy);
	assert_int_equal(copy[0], 'x');
	free(copy);
	assert_int_equal(allocator_calls - before, 2);
}

static void send_path_allocates_nothing(void **state)
{
	unsigned char space[SPACE], small[CMSGBUF_SPACE(CMSGBUF_RIGHTS_SPACE(1))];
	struct cmsgbuf_send b, full, empty = CMSGBUF_SEND_EMPTY;
	int fds[2] = { STDIN_FILENO, STDERR_FILENO }, bad = -1, tos = 0x10, sv[2];
	struct cmsgbuf_msg batch[2];
	struct iovec iov = { "x", 1 };
	unsigned long before;
	char byte;

	(void)state;
	unix_pair(sv);
	batch[0] = cmsgbuf_rights(fds, 1);
	batch[1] = cmsgbuf_credentials(me());
	before = allocator_calls;

	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 2)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(me())));
	assert_false(cmsgbuf_send_push(&b, cmsgbuf_rights(&bad, 1)));
	assert_false(cmsgbuf_send_push(&b, cmsgbuf_credentials(me())));
	assert_false(cmsgbuf_send_push(&empty, cmsgbuf_raw(IPPROTO_IP, IP_TOS, &tos, sizeof(tos))));
	assert_int_equal(cmsgbuf_sendmsg(sv[0], &iov, 1, &b, 0), 1);
	assert_int_equal(cmsgbuf_sendmsg_any(sv[0], NULL, 0, &iov, 1, &b, 0), 1);
	cmsgbuf_send_clear(&b);
	assert_null(cmsgbuf_send_control(&b));
	assert_int_equal(cmsgbuf_send_controllen(&b), 0);
	assert_true(cmsgbuf_send_extend(&b, batch, 2));
	cmsgbuf_send_init(&full, small, sizeof(small));
	assert_false(cmsgbuf_send_extend(&full, batch, 2));
	assert_int_equal(cmsgbuf_sendmsg(sv[0], &iov, 1, &b, 0), 1);

	assert_no_allocation(before, "the send path");
	/* recv() has no room for control data: the kernel closes what they carry. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(recv(sv[1], &byte, 1, 0), 1);
	close(sv[0]);
	close(sv[1]);
}

static void walk_path_allocates_nothing(void **state)
{
	unsigned char space[SPACE];
	struct cmsgbuf_send b;
	int fds[2] = { 0, 1 };
	unsigned long before;
	size_t n = 0;

	(void)state;
	cmsgbuf_send_init(&b, space, sizeof(space));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_rights(fds, 2)));
	assert_true(cmsgbuf_send_push(&b, cmsgbuf_credentials(me())));
	before = allocator_calls;

	for (const struct cmsghdr *h = cmsgbuf_first(cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b));
	     h; h = cmsgbuf_next(cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b), h))
		n++;
	assert_int_equal(n, 2);
	assert_int_equal(cmsgbuf_check(cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b)),
			 CMSGBUF_WELL_FORMED);
	/* A byte short: a defect, whichever the platform's padding makes it. */
	assert_int_not_equal(cmsgbuf_check(cmsgbuf_send_control(&b), cmsgbuf_send_controllen(&b) - 1),
			     CMSGBUF_WELL_FORMED);
	for (int d = CMSGBUF_WELL_FORMED; d <= CMSGBUF_DEFECT_NONZERO_PADDING; d++)
		assert_non_null(cmsgbuf_defect_str((enum cmsgbuf_defect)d));

	assert_no_allocation(before, "the walk path");
}

static void recv_path_allocates_nothing(void **state)
{
	unsigned char space[SPACE];
	struct cmsgbuf_recv b;
	struct cmsgbuf_msg m;
	struct cmsgbuf_ucred cred;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	char byte;
	struct iovec iov = { &byte, 1 };
	union {
		struct cmsghdr align;
		unsigned char bytes[SPACE];
	} own;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int sv[2], fds[2];
	size_t yielded = 0, nfds;
	unsigned long before;

	(void)state;
	unix_pair(sv);
	for (int i = 0; i < 3; i++)
		send_two_fds(sv);
	before = allocator_calls;

	/* Receive, take every message, close the descriptors. */
	cmsgbuf_recv_init(&b, space, sizeof(space));
	assert_int_equal(cmsgbuf_recvmsg(sv[1], &iov, 1, &b, 0), 1);
	assert_false(cmsgbuf_recv_truncated(&b));
	assert_int_equal(cmsgbuf_recv_flags(&b), 0);
	while (cmsgbuf_recv_next(&b, &m)) {
		yielded++;
		if (cmsgbuf_recv_take_fds(&b, &m, fds, 2) == 2) {
			close(fds[0]);
			close(fds[1]);
		} else {
			assert_true(cmsgbuf_msg_credentials(&m, &cred));
		}
	}
	assert_int_equal(yielded, 2);
	assert_true(cmsgbuf_recv_credentials(&b, &cred));
	assert_true(cmsgbuf_recv_find(&b, SOL_SOCKET, SCM_RIGHTS, &m));
	/* Receive again, with the address; clear closes what was not taken. */
	assert_int_equal(cmsgbuf_recvmsg_from(sv[1], (struct sockaddr *)&from, &fromlen, &iov, 1, &b, 0), 1);
	cmsgbuf_recv_clear(&b);
	/* Adopt the caller's own receive, yield one message, let clear close the rest. */
	mh.msg_control = own.bytes;
	mh.msg_controllen = sizeof(own.bytes);
	assert_int_equal(recvmsg(sv[1], &mh, MSG_CMSG_CLOEXEC), 1);
	assert_true(cmsgbuf_recv_adopt(&b, &mh));
	assert_true(cmsgbuf_recv_next(&b, &m));
	cmsgbuf_recv_clear(&b);
	/* The one-call pair. */
	fds[0] = STDERR_FILENO;
	assert_int_equal(cmsgbuf_send_fds(sv[0], "x", 1, fds, 1, me(), 0), 1);
	nfds = 2;
	assert_int_equal(cmsgbuf_recv_fds(sv[1], &byte, 1, fds, &nfds, 0), 1);
	assert_int_equal(nfds, 1);
	close(fds[0]);

	assert_no_allocation(before, "the receive path");
	close(sv[0]);
	close(sv[1]);
}

static void batch_paths_allocate_nothing(void **state)
{
	CMSGBUF_BUFFER_TYPE(CMSGBUF_RIGHTS_SPACE(2) + CMSGBUF_CREDENTIALS_SPACE) space[4];
	struct cmsgbuf_send out[4];
	struct cmsgbuf_recv in[4];
	struct mmsghdr msgs[4];
	struct iovec iov[4];
	char bytes[4] = "abcd";
	int fds[2] = { STDIN_FILENO, STDERR_FILENO }, sv[2], got[2];
	struct cmsgbuf_msg m;
	unsigned long before;

	(void)state;
	unix_pair(sv);
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < 4; i++) {
		iov[i].iov_base = &bytes[i];
		iov[i].iov_len = 1;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	before = allocator_calls;

	for (int i = 0; i < 4; i++) {
		cmsgbuf_send_init(&out[i], &space[i], sizeof(space[i]));
		if (i % 2 == 0)
			assert_true(cmsgbuf_send_push(&out[i], cmsgbuf_rights(fds, 2)));
	}
	assert_int_equal(cmsgbuf_sendmmsg(sv[0], msgs, 4, out, 0), 4);
	for (int i = 0; i < 4; i++)
		cmsgbuf_recv_init(&in[i], &space[i], sizeof(space[i]));
	assert_int_equal(cmsgbuf_recvmmsg(sv[1], msgs, 4, in, 0), 4);
	/* take the first message's descriptors; clear closes the third's */
	assert_true(cmsgbuf_recv_find(&in[0], SOL_SOCKET, SCM_RIGHTS, &m));
	assert_int_equal(cmsgbuf_recv_take_fds(&in[0], &m, got, 2), 2);
	close(got[0]);
	close(got[1]);
	for (int i = 0; i < 4; i++)
		cmsgbuf_recv_clear(&in[i]);

	assert_no_allocation(before, "the batch paths");
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(counting_sees_allocations_in_a_shared_library),
		cmocka_unit_test(send_path_allocates_nothing),
		cmocka_unit_test(walk_path_allocates_nothing),
		cmocka_unit_test(recv_path_allocates_nothing),
		cmocka_unit_test(batch_paths_allocate_nothing),
	};

	if (CMSGBUF_TEST_SANITIZED || RUNNING_ON_VALGRIND)
		return 77;
	return cmocka_run_group_tests(tests, fd_ledger_open, fd_ledger_close);
}
