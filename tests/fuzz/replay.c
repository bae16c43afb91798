/*
 * replay - a fuzz target without libFuzzer: every file of its seed
 * folder (tests/fuzz/seeds/NAME, NAME given when it is built) is handed
 * to LLVMFuzzerTestOneInput() once, as libFuzzer would.  `make check'
 * runs it for each target, so the seeds, and the crashes kept among
 * them, are checked by any compiler; a broken invariant aborts.
 *
 *   replay_NAME [FILE | FOLDER ...]
 *
 * Without arguments it reads $top_srcdir/tests/fuzz/seeds/NAME.
 * Exit 0 when every input passed, 1 when a file cannot be read.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef SEED_NAME
#error SEED_NAME must name the seed folder
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int nrun;

static int
run_file(const char *path)
{
	FILE *fp;
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, k;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "replay: out of memory\n");
				exit(1);
			}
		}
		if ((k = fread(buf + n, 1, cap - n, fp)) == 0)
			break;
		n += k;
	}
	if (ferror(fp)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	/* libFuzzer's copy is exactly n bytes: so is this one. */
	{
		uint8_t *exact = malloc(n ? n : 1);

		if (exact == NULL) {
			fprintf(stderr, "replay: out of memory\n");
			exit(1);
		}
		memcpy(exact, buf, n);
		free(buf);
		printf("replay: %s (%zu bytes)\n", path, n);
		fflush(stdout);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	nrun++;
	return 0;
}

static int
run_path(const char *path)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path);
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char sub[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (run_path(sub) < 0)
			r = -1;
	}
	closedir(d);
	return r;
}

int
main(int argc, char *argv[])
{
	const char *top = getenv("top_srcdir");
	char dir[4096];
	int i, r = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++)
			if (run_path(argv[i]) < 0)
				r = 1;
	} else {
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/seeds/%s",
		    top ? top : "..", SEED_NAME);
		if (run_path(dir) < 0)
			r = 1;
	}
	printf("replay: %d inputs of %s\n", nrun, SEED_NAME);
	if (nrun == 0) {
		fprintf(stderr, "replay: no seeds\n");
		r = 1;
	}
	return r;
}
