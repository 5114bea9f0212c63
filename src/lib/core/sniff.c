/* sniff.c - JSON or YAML, from the first significant byte (core.h). */
#include <string.h>

#include "kupgrade/core.h"

bool kup_looks_json(const char *text, size_t len)
{
	size_t i = 0;

	if (!text)
		return false;
	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	return i < len && (text[i] == '{' || text[i] == '[');
}
