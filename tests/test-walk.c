/*
 * test-walk: the hardened walker and cmsgbuf_check() on hand-made hostile
 * headers, and agreement with the libc's CMSG_FIRSTHDR/CMSG_NXTHDR on every
 * buffer push builds.
 */

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cmsgbuf.h"
#include "helpers.h"

static union {
	struct cmsghdr align;
	unsigned char bytes[1024];
} buf;

/* A header at @off in buf. */
static void put_header(size_t off, size_t cmsg_len, int level, int type)
{
	write_header(buf.bytes, off, cmsg_len, level, type);
}

/* How many headers the walker visits in @len bytes of buf. */
static int walk_count(size_t len)
{
	int n = 0;

	for (const struct cmsghdr *c = cmsgbuf_first(buf.bytes, len); c; c = cmsgbuf_next(buf.bytes, len, c)) {
		assert_true((const unsigned char *)c + c->cmsg_len <= buf.bytes + len);
		n++;
		assert_true(n < 1000);
	}
	return n;
}

static void hostile_cmsg_len_ends_the_walk(void **state)
{
	/* One below a header: 15 on 64-bit; a literal 15 is a valid length on 32-bit. */
	const size_t lens[] = { 0, 1, sizeof(struct cmsghdr) - 1, UINT32_MAX, SIZE_MAX, SIZE_MAX - 7,
				CMSG_SPACE(4) + 1 };

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(&buf, 0, sizeof(buf));
		put_header(0, lens[i], SOL_SOCKET, SCM_RIGHTS);
		assert_int_equal(walk_count(CMSG_SPACE(4)), 0);
		assert_int_not_equal(cmsgbuf_check(buf.bytes, CMSG_SPACE(4)), CMSGBUF_WELL_FORMED);
		/* the same header second: the first message is visited, then the walk ends */
		memset(&buf, 0, sizeof(buf));
		put_header(0, CMSG_LEN(4), SOL_SOCKET, SCM_RIGHTS);
		put_header(CMSG_SPACE(4), lens[i], SOL_SOCKET, SCM_RIGHTS);
		assert_int_equal(walk_count(2 * CMSG_SPACE(4)), 1);
	}
}

static void check_names_each_defect(void **state)
{
	(void)state;
	memset(&buf, 0, sizeof(buf));
	put_header(0, CMSG_LEN(0) - 1, 0, 0);
	assert_int_equal(cmsgbuf_check(buf.bytes, CMSG_SPACE(0)), CMSGBUF_DEFECT_LEN_TOO_SMALL);
	put_header(0, CMSG_SPACE(0) + 1, 0, 0);
	assert_int_equal(cmsgbuf_check(buf.bytes, CMSG_SPACE(0)), CMSGBUF_DEFECT_LEN_PAST_END);
	put_header(0, CMSG_LEN(0), 0, 0);
	assert_int_equal(cmsgbuf_check(buf.bytes, CMSG_SPACE(0) + 1), CMSGBUF_DEFECT_SHORT_HEADER);
	assert_int_equal(cmsgbuf_check(buf.bytes, CMSG_SPACE(0)), CMSGBUF_WELL_FORMED);
	put_header(0, CMSG_LEN(1), 0, 0);
	assert_int_equal(cmsgbuf_check(buf.bytes, CMSG_LEN(1)), CMSGBUF_DEFECT_UNPADDED);
	assert_int_equal(cmsgbuf_check(buf.bytes, CMSG_SPACE(1)), CMSGBUF_WELL_FORMED);
	buf.bytes[CMSG_SPACE(1) - 1] = 1;
	assert_int_equal(cmsgbuf_check(buf.bytes, CMSG_SPACE(1)), CMSGBUF_DEFECT_NONZERO_PADDING);
	assert_int_equal(cmsgbuf_check(buf.bytes + 1, CMSG_SPACE(1)), CMSGBUF_DEFECT_MISALIGNED);
	assert_int_equal(cmsgbuf_check(NULL, 100), CMSGBUF_WELL_FORMED);
	assert_int_equal(cmsgbuf_check(buf.bytes, 0), CMSGBUF_WELL_FORMED);
	for (int d = CMSGBUF_WELL_FORMED; d <= CMSGBUF_DEFECT_NONZERO_PADDING; d++) {
		const char *text = cmsgbuf_defect_str((enum cmsgbuf_defect)d);

		assert_true(strlen(text) > 0);
		for (int e = CMSGBUF_WELL_FORMED; e < d; e++)
			assert_string_not_equal(text, cmsgbuf_defect_str((enum cmsgbuf_defect)e));
	}
	assert_string_equal(cmsgbuf_defect_str((enum cmsgbuf_defect)99), "unknown defect");
}

static void exactly_fitting_last_header_is_visited(void **state)
{
	(void)state;
	memset(&buf, 0, sizeof(buf));
	put_header(0, CMSG_LEN(8), 1, 2);
	put_header(CMSG_SPACE(8), CMSG_LEN(0), 3, 4);
	/* glibc visits a header-only last message that fits exactly; so must we */
	assert_int_equal(walk_count(CMSG_SPACE(8) + CMSG_LEN(0)), 2);
	assert_int_equal(cmsgbuf_check(buf.bytes, CMSG_SPACE(8) + CMSG_LEN(0)), CMSGBUF_WELL_FORMED);
}

static void last_message_without_padding_is_visited(void **state)
{
	(void)state;
	memset(&buf, 0, sizeof(buf));
	put_header(0, CMSG_LEN(4), 1, 2);
	put_header(CMSG_SPACE(4), CMSG_LEN(1), 3, 4);
	/* the kernel accepts an unpadded last message; the walker visits it */
	assert_int_equal(walk_count(CMSG_SPACE(4) + CMSG_LEN(1)), 2);
	/* one byte short of its cmsg_len, it is not visited */
	assert_int_equal(walk_count(CMSG_SPACE(4) + CMSG_LEN(1) - 1), 1);
}

static void misaligned_or_null_control_yields_nothing(void **state)
{
	(void)state;
	memset(&buf, 0, sizeof(buf));
	put_header(0, CMSG_LEN(0), 1, 2);
	assert_non_null(cmsgbuf_first(buf.bytes, CMSG_SPACE(0)));
	assert_null(cmsgbuf_first(buf.bytes + 1, CMSG_SPACE(0)));
	assert_null(cmsgbuf_first(NULL, CMSG_SPACE(0)));
	assert_null(cmsgbuf_first(buf.bytes, sizeof(struct cmsghdr) - 1));
	assert_null(cmsgbuf_next(buf.bytes, CMSG_SPACE(0), NULL));
	/* nor does next() from an aligned header of a misaligned @control */
	put_header(CMSG_SPACE(0), CMSG_LEN(0), 1, 2);
	put_header(2 * CMSG_SPACE(0), CMSG_LEN(0), 1, 2);
	assert_non_null(cmsgbuf_next(buf.bytes, 3 * CMSG_SPACE(0), (const struct cmsghdr *)(void *)buf.bytes));
	assert_null(cmsgbuf_next(buf.bytes + 4, 3 * CMSG_SPACE(0) - 4,
				 (const struct cmsghdr *)(void *)(buf.bytes + CMSG_SPACE(0))));
}

/* @c is NULL, or a header wholly inside [@control, @control + @len) whose cmsg_len fits. */
static void assert_inside(const unsigned char *control, size_t len, const struct cmsghdr *c)
{
	size_t off;

	if (!c)
		return;
	off = (size_t)((uintptr_t)c - (uintptr_t)control);
	assert_true(off <= len && len - off >= sizeof(struct cmsghdr));
	assert_true(c->cmsg_len >= CMSG_LEN(0) && c->cmsg_len <= len - off);
}

/*
 * Three messages in the @len bytes at @control; each in turn becomes the
 * current header, whose cmsg_len then changes to every value up to past the
 * end and to the huge ones, before the walk goes on from it.
 */
static void walk_while_cmsg_len_changes(unsigned char *control, size_t len)
{
	const size_t space = CMSG_SPACE(sizeof(int)), messages = len / space;
	const size_t huge[] = { INT_MAX, (size_t)INT_MAX + 1, UINT32_MAX, UINT32_MAX - 7, SIZE_MAX,
				SIZE_MAX - 7, SIZE_MAX - CMSG_ALIGN(1) + 1, SIZE_MAX - len };
	const size_t small = len + 2 * CMSG_ALIGN(1), nhuge = sizeof(huge) / sizeof(huge[0]);

	for (size_t at = 0; at < messages; at++) {
		for (size_t i = 0; i < small + nhuge; i++) {
			const struct cmsghdr *c;
			size_t n = 0;

			memset(control, 0, len);
			for (size_t m = 0; m < messages; m++)
				write_header(control, m * space, CMSG_LEN(sizeof(int)), SOL_SOCKET, SCM_RIGHTS);
			c = cmsgbuf_first(control, len);
			for (size_t m = 0; m < at; m++)
				c = cmsgbuf_next(control, len, c);
			assert_ptr_equal(c, control + at * space);
			write_header(control, at * space, i < small ? i : huge[i - small], SOL_SOCKET,
				     SCM_RIGHTS);
			for (c = cmsgbuf_next(control, len, c); c; c = cmsgbuf_next(control, len, c)) {
				assert_inside(control, len, c);
				assert_true(++n < messages);
			}
		}
	}
}

/*
 * The bytes change between cmsgbuf_first() or cmsgbuf_next() and the next
 * call. Once at the end of a heap block of exactly their size, so that ASan
 * sees a read one byte past them; once followed by headers that look valid,
 * so that without ASan a walk that leaves the bytes returns one of them.
 */
static void cmsg_len_changed_between_calls_keeps_the_walk_inside(void **state)
{
	const size_t space = CMSG_SPACE(sizeof(int)), len = 3 * space;
	unsigned char *exact = malloc(len), *decoys = malloc(len + 8 * space);

	(void)state;
	assert_non_null(exact);
	assert_non_null(decoys);
	walk_while_cmsg_len_changes(exact, len);
	for (size_t m = 3; m < 11; m++)
		write_header(decoys, m * space, CMSG_LEN(sizeof(int)), SOL_SOCKET, SCM_RIGHTS);
	walk_while_cmsg_len_changes(decoys, len);
	free(decoys);
	free(exact);
}

/* A @cur that no walk of these bytes returns yields nothing, and is not read. */
static void foreign_cur_ends_the_walk(void **state)
{
	const size_t len = 2 * CMSG_SPACE(sizeof(int));
	unsigned char *control = malloc(len), *other = malloc(len);

	(void)state;
	assert_non_null(control);
	assert_non_null(other);
	memset(control, 0, len);
	write_header(control, 0, CMSG_LEN(sizeof(int)), SOL_SOCKET, SCM_RIGHTS);
	write_header(control, CMSG_SPACE(sizeof(int)), CMSG_LEN(sizeof(int)), SOL_SOCKET, SCM_RIGHTS);
	memcpy(other, control, len);
	assert_non_null(cmsgbuf_next(control, len, (const struct cmsghdr *)(void *)control));
	assert_null(cmsgbuf_next(control, len, (const struct cmsghdr *)(void *)other));
	assert_null(cmsgbuf_next(control, len, (const struct cmsghdr *)(void *)(control + len)));
	assert_null(cmsgbuf_next(control, len, (const struct cmsghdr *)(void *)(control + len - 8)));
	assert_null(cmsgbuf_next(control, len, (const struct cmsghdr *)(void *)(control + 1)));
	assert_null(cmsgbuf_next(NULL, len, (const struct cmsghdr *)(void *)control));
	free(other);
	free(control);
}

/* Builds buffers of many shapes with push, and walks each both ways. */
static void walker_agrees_with_libc_on_pushed_buffers(void **state)
{
	static const unsigned char payload[64] = { 1, 2, 3 };
	int walked = 0;

	(void)state;
	for (size_t first = 0; first < 24; first++) {
		for (size_t second = 0; second < 24; second++) {
			struct cmsgbuf_send b;
			struct msghdr mh;
			const struct cmsghdr *ours;
			struct cmsghdr *libc;

			memset(&buf, 0xa5, sizeof(buf));
			cmsgbuf_send_init(&b, buf.bytes, sizeof(buf.bytes));
			assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(0x7e57, 99, payload, first)));
			assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(0x7e57, 98, payload, second)));
			assert_true(cmsgbuf_send_push(&b, cmsgbuf_raw(0x7e57, 97, payload, 0)));
			memset(&mh, 0, sizeof(mh));
			mh.msg_control = cmsgbuf_send_control(&b);
			mh.msg_controllen = cmsgbuf_send_controllen(&b);
			ours = cmsgbuf_first(mh.msg_control, mh.msg_controllen);
			libc = CMSG_FIRSTHDR(&mh);
			while (libc) {
				assert_ptr_equal(ours, libc);
				walked++;
				ours = cmsgbuf_next(mh.msg_control, mh.msg_controllen, ours);
				libc = CMSG_NXTHDR(&mh, libc);
			}
#ifndef __GLIBC__
			/* musl's CMSG_NXTHDR skips a header-only last message that fits exactly */
			if (ours && ours->cmsg_len == CMSG_LEN(0) &&
			    (const unsigned char *)ours + CMSG_LEN(0) == buf.bytes + mh.msg_controllen) {
				ours = cmsgbuf_next(mh.msg_control, mh.msg_controllen, ours);
				walked++;
			}
#endif
			assert_null(ours);
		}
	}
	assert_int_equal(walked, 24 * 24 * 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hostile_cmsg_len_ends_the_walk),
		cmocka_unit_test(check_names_each_defect),
		cmocka_unit_test(exactly_fitting_last_header_is_visited),
		cmocka_unit_test(last_message_without_padding_is_visited),
		cmocka_unit_test(misaligned_or_null_control_yields_nothing),
		cmocka_unit_test(cmsg_len_changed_between_calls_keeps_the_walk_inside),
		cmocka_unit_test(foreign_cur_ends_the_walk),
		cmocka_unit_test(walker_agrees_with_libc_on_pushed_buffers),
	};

	return cmocka_run_group_tests(tests, fd_ledger_open, fd_ledger_close);
}
