/*
 * measure - run a command, report its wall time and peak RSS.
 *
 *   measure -o REPORT COMMAND [ARG...]
 *
 * Runs COMMAND (stdin, stdout and stderr inherited), waits for it with
 * wait4() and writes one line to REPORT:
 *
 *   <wall seconds> <peak RSS in KiB> <exit status>
 *
 * The exit status is the command's, or 128+signal when it was killed;
 * measure itself exits with the same status (127 when it cannot run it).
 * A stand-alone benchmark tool, so GNU time is not needed.
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[1], "-o")) {
		fputs("usage: measure -o REPORT COMMAND [ARG...]\n", stderr);
		return 127;
	}
	const char *report = argv[2];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "measure: cannot fork: %s\n", strerror(errno));
		return 127;
	}
	if (pid == 0) {
		execvp(argv[3], argv + 3);
		fprintf(stderr, "measure: cannot run '%s': %s\n", argv[3], strerror(errno));
		_exit(127);
	}
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "measure: wait4 failed: %s\n", strerror(errno));
			return 127;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *f = fopen(report, "w");
	if (!f) {
		fprintf(stderr, "measure: cannot open '%s': %s\n", report, strerror(errno));
		return 127;
	}
	fprintf(f, "%.3f %ld %d\n", wall, ru.ru_maxrss, rc);
	if (fclose(f) != 0) {
		fprintf(stderr, "measure: cannot write '%s': %s\n", report, strerror(errno));
		return 127;
	}
	return rc;
}
