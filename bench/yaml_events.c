/*
 * yaml_events - the baseline of the YAML reader benchmark: a bare libyaml
 * event loop over a file, one parser for the whole stream, no tree.
 *
 *   yaml_events FILE
 *
 * Prints "<events> events, <documents> documents" and exits 0, or 1 when
 * the stream is malformed (libyaml stops at the first error).  Not part of
 * libkupgrade: a stand-alone benchmark tool.
 */
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

int main(int argc, char **argv)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	unsigned long long events = 0, docs = 0;
	FILE *fp;
	int done = 0, rc = 0;

	if (argc != 2) {
		fputs("usage: yaml_events FILE\n", stderr);
		return 2;
	}
	fp = fopen(argv[1], "rb");
	if (!fp) {
		perror(argv[1]);
		return 1;
	}
	if (!yaml_parser_initialize(&parser)) {
		fputs("yaml_events: out of memory\n", stderr);
		fclose(fp);
		return 1;
	}
	yaml_parser_set_input_file(&parser, fp);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			fprintf(stderr, "%s:%lu:%lu: %s\n", argv[1],
				(unsigned long)parser.problem_mark.line + 1,
				(unsigned long)parser.problem_mark.column + 1,
				parser.problem ? parser.problem : "error");
			rc = 1;
			break;
		}
		events++;
		if (ev.type == YAML_DOCUMENT_START_EVENT)
			docs++;
		done = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	printf("%llu events, %llu documents\n", events, docs);
	return rc;
}
