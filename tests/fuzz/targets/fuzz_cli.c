/*
 * fuzz_cli.c - the CLI's option parsers: the whole `kupgrade` command line
 * parser (every subcommand's getopt table, durations, times, versions,
 * --target-versions, --registries, budgets, formats, -v counts) on argument
 * vectors taken from the input, NUL-separated.  The CLI is linked in with
 * its main() renamed (CMake: -Dmain=kup_cli_main).
 *
 * So that nothing outside runs, the target works in an empty directory with
 * HOME and KUBECONFIG pointing at nothing and no in-cluster variables, and
 * refuses arguments that would reach beyond it: absolute paths, "..", "-"
 * (standard input), `serve` (a server), `fleet run` (drivers).  Files named
 * by the input do not exist, so every verb stops at its first read - after
 * its options were parsed, which is what is fuzzed.
 */
#define _GNU_SOURCE 1
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int kup_cli_main(int argc, char **argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/kup-fuzz-cli-XXXXXX";

static void sandbox(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	if (!mkdtemp(dir))
		abort();
	setenv("HOME", dir, 1);
	setenv("KUBECONFIG", "/nonexistent/kubeconfig", 1);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUPGRADE_FLEET_STORE");
	setenv("NO_COLOR", "1", 1);
}

static bool allowed(const char *a)
{
	return a[0] != '/' && !strstr(a, "..") && strcmp(a, "-") != 0 && !strstr(a, "=/") &&
	       !strstr(a, ":/");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf, *argv[33];
	int argc = 1;
	size_t i = 0;

	sandbox();
	if (size > 4096)
		return 0;
	buf = malloc(size + 1);
	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = (char *)"kupgrade";
	while (i < size && argc < 32) {
		char *a = buf + i;
		size_t n = strlen(a);
		if (!allowed(a))
			goto out;
		argv[argc++] = a;
		i += n + 1;
	}
	argv[argc] = NULL;
	if (argc > 1 && (strcmp(argv[1], "serve") == 0 ||
			 (strcmp(argv[1], "fleet") == 0 && argc > 2 && strcmp(argv[2], "run") == 0)))
		goto out;
	{
		/* in the empty directory for the call only (the replay driver reads relative paths) */
		int here = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (here < 0 || chdir(dir) != 0)
			abort();
		/* a fresh getopt: optind = 0 alone is not enough when the verb sets optind = 1
		 * (glibc keeps its place inside the previous call's freed argv) */
		char *dummy[] = { argv[0], NULL };
		optind = 0;
		opterr = 0;
		while (getopt(1, dummy, "") != -1)
			;
		opterr = 1;
		kup_cli_main(argc, argv);
		fflush(stdout);
		if (fchdir(here) != 0)
			abort();
		close(here);
	}
out:
	free(buf);
	return 0;
}
