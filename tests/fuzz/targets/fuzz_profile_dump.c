/*
 * fuzz_profile_dump.c - kup_profile_from_dump_opts() on arbitrary bytes
 * (written to a temporary file, since the entry point reads paths), without
 * a knowledge base.  Properties, abort() when one breaks: a failure has a
 * message and no profile; a derived profile has a valid control-plane
 * version, pools with a name, a kubelet version and a node count, and it
 * writes to YAML that parses back as a ClusterProfile.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kupgrade/dump.h"
#include "kupgrade/profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/fuzz_profile_dump_XXXXXX";
	const char *paths[1] = { path };
	struct kup_profile_dump_opts o;
	struct kup_profile *p = NULL, *q = NULL;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf y = KUP_BUF_INIT;
	size_t nerr = 0, i;
	int fd;

	if (size > 256 * 1024)
		return 0;
	fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	kup_profile_dump_opts_init(&o);
	if (kup_profile_from_dump_opts(NULL, paths, 1, &o, &p, &nerr, &err) != KUP_OK) {
		if (p || !err.msg)
			abort();
		goto out;
	}
	if (!p->control_plane.valid || !p->name)
		abort();
	for (i = 0; i < p->npools; i++)
		if (!p->pools[i].name || !p->pools[i].version.valid || !p->pools[i].count)
			abort();
	if (kup_profile_write_yaml(p, &y) != KUP_OK)
		abort();
	if (kup_profile_parse("rt", y.buf, y.len, &q, &err) != KUP_OK)
		abort();
out:
	unlink(path);
	kup_buf_release(&y);
	kup_profile_free(p);
	kup_profile_free(q);
	kup_error_release(&err);
	return 0;
}
