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
	struct kup_wfile *w;
	size_t items;
};

static enum kup_status write_page(void *ctx, const struct kup_kube_page *pg)
{
	struct snap *s = ctx;

	if (!pg->nitems)
		return KUP_OK;
	if (!kup_wfile_puts(s->w, s->items ? ",\n" : "\n") ||
	    !kup_wfile_write(s->w, pg->items, pg->items_len))
		return KUP_STOP;
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

/*
 * Written through kup_wfile (core's I/O indirection): a temporary file beside
 * `path`, 0600 (it holds Helm releases), renamed over it when complete; on any
 * failure the temporary file is removed and `path` is untouched.
 */
enum kup_status kup_live_snapshot(struct kup_kube *k, const struct kup_kube_discovery *d,
				  const char *path, const struct kup_snapshot_info *info,
				  const struct kup_live_opts *o, struct kup_live_stats *stats,
				  struct kup_error *err)
{
	struct kup_wfile w;
	struct snap s = { &w, 0 };
	struct kup_buf head = KUP_BUF_INIT;
	char tbuf[32], *server = NULL;
	bool first = true;
	time_t t = info && info->time ? info->time : time(NULL);
	struct tm tm;
	enum kup_status st;

	gmtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	/* the server URL as any message shows it: no password of its userinfo */
	if (info && info->server && !(server = kup_redact(info->server)))
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	kup_buf_adds(&head, "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"metadata\":{\"annotations\":{");
	annotation(&head, "kupgrade.dev/server-version", d->git_version, &first);
	annotation(&head, "kupgrade.dev/snapshot-time", tbuf, &first);
	annotation(&head, "kupgrade.dev/context", info && info->context && *info->context
			  ? info->context : NULL, &first);
	annotation(&head, "kupgrade.dev/server", server, &first);
	free(server);
	kup_buf_adds(&head, "}},\n\"kupgrade.dev/discovery\":");
	kup_kube_discovery_to_json(d, &head);
	kup_buf_adds(&head, ",\n\"items\":[");
	if (head.oom) {
		kup_buf_release(&head);
		return kup_error_set(err, KUP_NOMEM, NULL, 0, 0, "out of memory");
	}
	st = kup_wfile_open(&w, path, 0600, err);
	if (st != KUP_OK) {
		kup_buf_release(&head);
		return st;
	}
	kup_wfile_write(&w, head.buf, head.len);
	kup_buf_release(&head);
	st = kup_live_collect(k, d, o, write_page, &s, stats, err);
	if (w.failed) {
		/* the write error says more than the STOP it caused */
		kup_error_release(err);
		return kup_wfile_commit(&w, err);
	}
	if (st != KUP_OK) {
		kup_wfile_abort(&w);
		return st;
	}
	kup_wfile_puts(&w, "\n]}\n");
	return kup_wfile_commit(&w, err);
}
