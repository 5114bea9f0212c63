/* cli_opt.c - "did you mean" for unknown options (cli.h). */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_suggest_option(const char *arg, const char *const *names, size_t n)
{
	char word[64];
	const char *hint;
	size_t len;

	if (!arg || strncmp(arg, "--", 2) != 0)
		return;
	arg += 2;
	len = strcspn(arg, "=");
	if (len == 0 || len >= sizeof(word))
		return;
	memcpy(word, arg, len);
	word[len] = '\0';
	hint = kup_suggest(word, names, n);
	if (hint)
		fprintf(stderr, "%s: did you mean '--%s'?\n", kup_cli_name, hint);
}

int cli_getopt(int argc, char *const argv[], const char *shortopts, const struct option *longopts)
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);
	const char **names;
	size_t n = 0, i;

	/* an unrecognised long option: '?' with optopt 0, the option just before optind */
	if (c != '?' || optopt != 0 || optind < 1 || optind > argc)
		return c;
	while (longopts[n].name)
		n++;
	names = calloc(n + 1, sizeof(*names));
	if (!names)
		return c;
	for (i = 0; i < n; i++)
		names[i] = longopts[i].name;
	cli_suggest_option(argv[optind - 1], names, n);
	free(names);
	return c;
}
