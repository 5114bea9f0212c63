/*
 * yaml_line.c - the value part of one YAML line, for the line-based readers
 * (chart's rendered output, ingest's Go templates): one copy, see yaml.h.
 */
#include <stdbool.h>
#include <stddef.h>

#include "kupgrade/yaml.h"

struct kup_str kup_yaml_line_value(const char *s, size_t n, bool actions, size_t *skip)
{
	size_t i, end = n;
	int depth = 0;
	char q = 0, aq = 0;

	*skip = 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (depth > 0) {
			if (aq) {
				if (c == '\\' && aq != '`')
					i++;
				else if (c == aq)
					aq = 0;
			} else if (c == '"' || c == '`') {
				aq = c;
			} else if (c == '}' && i + 1 < n && s[i + 1] == '}') {
				depth--;
				i++;
			}
			continue;
		}
		if (actions && c == '{' && i + 1 < n && s[i + 1] == '{') {
			depth++;
			i++;
			continue;
		}
		if (q) {
			if (q == '"' && c == '\\')
				i++;
			else if (c == q)
				q = 0;
			continue;
		}
		if (i == 0 && (c == '"' || c == '\'')) {
			q = c;
			continue;
		}
		if (c == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
			end = i;
			break;
		}
	}
	while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
		end--;
	if (end >= 2 && (s[0] == '"' || s[0] == '\'') && s[end - 1] == s[0]) {
		*skip = 1;
		return (struct kup_str){ s + 1, end - 2 };
	}
	return (struct kup_str){ s, end };
}
