/*
 * The standalone replay driver: runs a fuzz target's LLVMFuzzerTestOneInput()
 * over the files named on the command line (a folder stands for the regular
 * files in it, in name order) and prints TAP, one line per file, so that a
 * corpus runs under `meson test` with any compiler and no fuzzing engine.
 *
 * Each input runs in a child process, so that a broken invariant (which exits
 * FUZZ_INVARIANT_EXIT here, see fuzz_fail()) or a crash (a sanitizer report,
 * a signal) marks that file "not ok" and the others still run. Exit status: 0
 * when every input passed, 1 when one failed, and 99 (Meson's "hard error")
 * when the inputs cannot be read.
 *
 * With --expect-invariant-broken first, for a harness built with a planted
 * defect: an input that broke an invariant is "ok", and the exit status is 0
 * only when at least one did and no input failed in any other way (a crash,
 * a sanitizer report, another exit status): the defect is caught, by the
 * fuzzer's own checks.
 */

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz-input.h"

struct inputs {
	char **path;
	size_t n, cap;
};

/* Takes ownership of @path. */
static void add(struct inputs *in, char *path)
{
	if (!path)
		abort();
	if (in->n == in->cap) {
		in->cap = in->cap ? 2 * in->cap : 64;
		in->path = realloc(in->path, in->cap * sizeof(*in->path));
		if (!in->path)
			abort();
	}
	in->path[in->n++] = path;
}

static int not_hidden(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Adds @arg, or the regular files in it when it is a folder; false if it cannot be read. */
static bool collect(struct inputs *in, const char *arg)
{
	struct dirent **names;
	struct stat st;
	int n;

	if (stat(arg, &st) < 0)
		return false;
	if (!S_ISDIR(st.st_mode)) {
		add(in, strdup(arg));
		return true;
	}
	n = scandir(arg, &names, not_hidden, alphasort);
	if (n < 0)
		return false;
	for (int i = 0; i < n; i++) {
		char *p;

		if (asprintf(&p, "%s/%s", arg, names[i]->d_name) < 0)
			abort();
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			add(in, p);
		else
			free(p);
		free(names[i]);
	}
	free(names);
	return true;
}

static bool read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return false;
	if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0) {
		fclose(f);
		return false;
	}
	/* Exactly the file's size, so that ASan sees a read past the input's end. */
	*data = malloc(n ? (size_t)n : 1);
	*size = (size_t)n;
	if (!*data || fread(*data, 1, *size, f) != *size) {
		fclose(f);
		free(*data);
		return false;
	}
	fclose(f);
	return true;
}

/*
 * Runs one input in a child; returns NULL on success, else what went wrong,
 * with *@broken true when it was a broken invariant.
 */
static const char *run(const char *path, char *why, size_t whylen, bool *broken)
{
	uint8_t *data;
	size_t size;
	pid_t pid;
	int status;

	if (!read_file(path, &data, &size))
		return strerror(errno);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		free(data);
		return strerror(errno);
	}
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, size);
		free(data);
		exit(0);
	}
	free(data);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return strerror(errno);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	*broken = WIFEXITED(status) && WEXITSTATUS(status) == FUZZ_INVARIANT_EXIT;
	if (*broken)
		snprintf(why, whylen, "invariant broken (exit status %d)", FUZZ_INVARIANT_EXIT);
	else if (WIFSIGNALED(status))
		snprintf(why, whylen, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(why, whylen, "exit status %d", WEXITSTATUS(status));
	return why;
}

int main(int argc, char **argv)
{
	struct inputs in = { NULL, 0, 0 };
	bool expect_broken = argc > 1 && strcmp(argv[1], "--expect-invariant-broken") == 0;
	size_t failed = 0, broken = 0;

	for (int i = expect_broken ? 2 : 1; i < argc; i++) {
		if (!collect(&in, argv[i])) {
			printf("Bail out! cannot read %s: %s\n", argv[i], strerror(errno));
			return 99;
		}
	}
	if (in.n == 0) {
		printf("Bail out! no inputs (usage: %s FILE-OR-FOLDER...)\n", argv[0]);
		return 99;
	}
	printf("1..%zu\n", in.n);
	for (size_t i = 0; i < in.n; i++) {
		char why[128];
		bool invariant = false;
		const char *err = run(in.path[i], why, sizeof(why), &invariant);

		if (err && invariant && expect_broken) {
			printf("ok %zu - %s: %s, as expected\n", i + 1, in.path[i], err);
			broken++;
		} else if (err) {
			printf("not ok %zu - %s: %s\n", i + 1, in.path[i], err);
			failed++;
		} else {
			printf("ok %zu - %s\n", i + 1, in.path[i]);
		}
		free(in.path[i]);
	}
	free(in.path);
	if (expect_broken && broken == 0) {
		printf("# no input broke an invariant: the planted defect is not caught\n");
		return 1;
	}
	return failed ? 1 : 0;
}
