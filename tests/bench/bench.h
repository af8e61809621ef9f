#ifndef CMSGBUF_BENCH_H
#define CMSGBUF_BENCH_H

/*
 * What every benchmark program shares: a table of operations, each written
 * twice, once with cmsgbuf and once as the hand-written CMSG_* code it
 * replaces, and one driver (bench.c) that times both sides, alternating, in
 * the same process.
 *
 * An operation is a function of the program's context, named
 * bench_op_<name>_cmsgbuf or bench_op_<name>_hand: scripts/bench counts its
 * instructions with callgrind's --toggle-collect=bench_op_*, so the names are
 * part of the interface. The driver only ever calls operations through the
 * table, so the compiler can neither inline them into the timing loop nor
 * specialise them for it; what they write goes to memory the caller sees,
 * and bench_escape() tells the compiler that memory is read.
 *
 *   bench-x [NAME...]            time every operation (or those named) and
 *                                print one line for each
 *   bench-x --list               print "name per" for every operation
 *   bench-x --count N [NAME...]  run both sides of every operation (or of
 *                                those named) N times, untimed: what
 *                                scripts/bench runs under callgrind
 */

#include <stdbool.h>
#include <stddef.h>

/* The two sides of an operation, in the order of struct bench_op's run[]. */
enum { BENCH_CMSGBUF, BENCH_HAND };

struct bench_op {
	const char *name;
	void (*run[2])(void *ctx);
	/* Run before each call of either side, and timed with it, but outside
	 * bench_op_*, so callgrind does not count it; may be NULL. */
	void (*prep)(void *ctx);
	/* Items one call handles: figures are per item (a message walked). */
	unsigned int per;
	/* Print items per second rather than nanoseconds per item. */
	bool rate;
};

#define BENCH_OP(name, per, prep, rate) \
	{ #name, { bench_op_##name##_cmsgbuf, bench_op_##name##_hand }, (prep), (per), (rate) }

#if defined(__GNUC__)
#define BENCH_NOINLINE __attribute__((noinline))
/* The compiler must assume that the bytes @p points at are read here. */
static inline void bench_escape(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}
#else
#define BENCH_NOINLINE
static inline void bench_escape(const void *p)
{
	static const void *volatile sink;

	sink = p;
}
#endif

/* Exits with a message: a side of an operation failed, so its figure would lie. */
_Noreturn void bench_fail(const char *what);

/* Runs the program's operations as argv asks (see above); returns main's status. */
int bench_main(int argc, char **argv, const struct bench_op *ops, size_t n, void *ctx);

#endif
