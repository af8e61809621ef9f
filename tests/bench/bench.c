/*
 * The benchmark driver: for each operation, find a batch size that takes a
 * few milliseconds, then time batches of the two sides alternately (cmsgbuf
 * first in even rounds, hand-written first in odd ones, so that neither side
 * always runs on a warmer cache or a faster clock), and print the median of
 * each side and their ratio.
 */

#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH_NS 2000000.0	/* calibrate batches to at least 2 ms */
#define MAX_ROUNDS 1001

void bench_fail(const char *what)
{
	fprintf(stderr, "bench: %s failed\n", what);
	exit(1);
}

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void run(const struct bench_op *op, int side, void *ctx, unsigned long iters)
{
	for (unsigned long i = 0; i < iters; i++) {
		if (op->prep)
			op->prep(ctx);
		op->run[side](ctx);
	}
}

static double batch_ns(const struct bench_op *op, int side, void *ctx, unsigned long iters)
{
	double t0 = now_ns();

	run(op, side, ctx, iters);
	return now_ns() - t0;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), by_value);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void time_op(const struct bench_op *op, void *ctx, int rounds)
{
	double ns[2][MAX_ROUNDS], med[2];
	unsigned long iters = 1;

	run(op, BENCH_HAND, ctx, 1);
	while (batch_ns(op, BENCH_CMSGBUF, ctx, iters) < BATCH_NS)
		iters *= 2;
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < 2; k++) {
			int side = r % 2 ? 1 - k : k;

			ns[side][r] = batch_ns(op, side, ctx, iters) / ((double)iters * op->per);
		}
	med[0] = median(ns[0], rounds);
	med[1] = median(ns[1], rounds);
	if (op->rate)
		printf("%-22s cmsgbuf %12.0f msg/s  hand %12.0f msg/s  ratio %6.3f\n",
		       op->name, 1e9 / med[0], 1e9 / med[1], med[1] / med[0]);
	else
		printf("%-22s cmsgbuf %12.2f ns     hand %12.2f ns     ratio %6.3f\n",
		       op->name, med[0], med[1], med[0] / med[1]);
	fflush(stdout);
}

static bool wanted(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

int bench_main(int argc, char **argv, const struct bench_op *ops, size_t n, void *ctx)
{
	const char *env = getenv("BENCH_ROUNDS");
	int rounds = env ? atoi(env) : 101;

	if (argc == 2 && strcmp(argv[1], "--list") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s %u\n", ops[i].name, ops[i].per);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "--count") == 0) {
		unsigned long iters = strtoul(argv[2], NULL, 10);

		for (size_t i = 0; i < n; i++)
			if (wanted(ops[i].name, argc - 2, argv + 2))
				for (int side = 0; side < 2; side++)
					run(&ops[i], side, ctx, iters);
		return 0;
	}
	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "bench: BENCH_ROUNDS must lie in [1, %d]\n", MAX_ROUNDS);
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		if (wanted(ops[i].name, argc, argv))
			time_op(&ops[i], ctx, rounds);
	return 0;
}
