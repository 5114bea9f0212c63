/*
 * snapshot.c - a whole cluster into one kubectl List file (see live.h),
 * streamed page by page, written to a temporary file and renamed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kupgrade/live.h"
#include "live_int.h"

struct snap {
	FILE *fp;
	size_t items;
	int werrno;      /* set when a write failed */
};

static enum kup_status write_page(void *ctx, const struct kup_kube_page *pg)
{
	struct snap *s = ctx;

	if (!pg->nitems)
		return KUP_OK;
	if (fputs(s->items ? ",\n" : "\n", s->fp) == EOF ||
	    fwrite(pg->items, 1, pg->items_len, s->fp) != pg->items_len) {
		s->werrno = errno ? errno : EIO;
		return KUP_STOP;
	}
	s->items += pg->nitems;
	return KUP_OK;
}

static void annotation(struct kup_buf *b, const char *key, const char *value, bool *first)
{
	if (!value)
		return;
	if (!*first)
		kup_buf_addc(b, ',');
	*first = false;
	kup_live_json_str(b, key);
	kup_buf_addc(b, ':');
	kup_live_json_str(b, value);
}

static char *temp_name(const char *path)
{
	struct kup_buf b = KUP_BUF_INIT;
	const char *slash = strrchr(path, '/');

	if (slash)
		kup_buf_addf(&b, "%.*s/.%s.tmp-XXXXXX", (int)(slash - path), path, slash + 1);
	else
		kup_buf_addf(&b, ".%s.tmp-XXXXXX", path);
	if (b.oom) {
		kup_buf_release(&b);
		return NULL;
	}
	return kup_buf_detach(&b, NULL);
}

enum kup_status kup_live_snapshot(struct kup_kube *k, const struct kup_kube_discovery *d,
				  const char *path, const struct kup_snapshot_info *info,
				  const struct kup_live_opts *o, struct kup_live_stats *stats,
				  struct kup_error *err)
{
	struct snap s = { NULL, 0, 0 };
	struct kup_buf head = KUP_BUF_INIT;
	char *tmp = NULL, tbuf[32];
	bool to_stdout = strcmp(path, "-") == 0, first = true;
	time_t t = info && info->time ? info->time : time(NULL);
	struct tm tm;
	enum kup_status st = KUP_NOMEM;
	int fd = -1;

	gmtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	kup_buf_adds(&head, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"annotations\":{");
	annotation(&head, "kupgrade.dev/server-version", d->git_version, &first);
	annotation(&head, "kupgrade.dev/snapshot-time", tbuf, &first);
	annotation(&head, "kupgrade.dev/context", info && info->context && *info->context
			  ? info->context : NULL, &first);
	annotation(&head, "kupgrade.dev/server", info ? info->server : NULL, &first);
	kup_buf_adds(&head, "}},\n\"kupgrade.dev/discovery\":");
	kup_kube_discovery_to_json(d, &head);
	kup_buf_adds(&head, ",\n\"items\":[");
	if (head.oom)
		goto out;
	if (to_stdout) {
		s.fp = stdout;
	} else {
		if (!(tmp = temp_name(path)))
			goto out;
		fd = mkstemp(tmp);
		if (fd < 0) {
			st = kup_error_set(err, KUP_IO, path, 0, 0, "cannot create '%s': %s", tmp,
					   strerror(errno));
			free(tmp);
			tmp = NULL;
			goto out;
		}
		s.fp = fdopen(fd, "w");
		if (!s.fp) {
			st = kup_error_set(err, KUP_IO, path, 0, 0, "cannot write '%s': %s", tmp,
					   strerror(errno));
			close(fd);
			goto out;
		}
		setvbuf(s.fp, NULL, _IOFBF, 1 << 20);
	}
	if (fwrite(head.buf, 1, head.len, s.fp) != head.len) {
		st = KUP_IO;
		goto io;
	}
	st = kup_live_collect(k, d, o, write_page, &s, stats, err);
	if (s.werrno) {
		errno = s.werrno;
		kup_error_release(err);
		goto io;
	}
	if (st != KUP_OK)
		goto out;
	if (fputs("\n]}\n", s.fp) == EOF || fflush(s.fp) != 0)
		goto io;
	if (!to_stdout) {
		if (fsync(fileno(s.fp)) != 0)
			goto io;
		if (fclose(s.fp) != 0) {
			s.fp = NULL;
			goto io;
		}
		s.fp = NULL;
		if (rename(tmp, path) != 0) {
			st = kup_error_set(err, KUP_IO, path, 0, 0, "cannot rename '%s' to '%s': %s",
					   tmp, path, strerror(errno));
			goto out;
		}
		free(tmp);
		tmp = NULL;
	}
	st = KUP_OK;
	goto out;
io:
	st = kup_error_set(err, KUP_IO, path, 0, 0, "cannot write '%s': %s",
			   to_stdout ? "standard output" : path, strerror(errno));
out:
	if (s.fp && !to_stdout)
		fclose(s.fp);
	if (tmp) {
		unlink(tmp);
		free(tmp);
	}
	if (st == KUP_NOMEM && !err->msg)
		kup_error_set(err, st, NULL, 0, 0, "out of memory");
	kup_buf_release(&head);
	return st;
}
