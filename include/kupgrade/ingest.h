/*
 * ingest.h - turn paths (files, directories, stdin) into the object stream.
 *
 * For each input:
 *  - a directory is walked recursively (.yaml .yml .json; sorted, so output
 *    is stable); a directory holding Chart.yaml is an un-rendered Helm chart
 *    and its templates/ are read with the template scanner (helm.h);
 *  - a file is read as JSON when its first significant byte is '{' or '[',
 *    else as a YAML stream; every `kind: List` / `…List` is expanded,
 *    nested lists too;
 *  - each object is emitted as itself (source file), and, when it carries
 *    them, as its last-applied-configuration (source last-applied) and as
 *    one entry per distinct managedFields apiVersion (source managed-fields);
 *  - Helm v3 release records (Secret type helm.sh/release.v1, ConfigMap with
 *    label owner=helm) are decoded and their manifests and hooks emitted
 *    (source helm-release): newest deployed revision of each release unless
 *    all_revisions.
 * Errors go to the sink with path:line:column and reading continues.
 */
#ifndef KUPGRADE_INGEST_H
#define KUPGRADE_INGEST_H

#include "kupgrade/helmchart.h"
#include "kupgrade/object.h"

struct kup_ingest_stats;
struct kup_ingest_opts {
	struct kup_read_limits limits;
	struct kup_error_sink errors;
	struct kup_error_sink warnings;   /* what was skipped on purpose (a symlink loop); may be unset */
	kup_object_fn on_object;
	void *ctx;
	bool all_revisions;        /* every Helm revision, not only the newest deployed */
	bool last_applied;         /* emit last-applied objects (default true) */
	/*
	 * Annotations that hold a copy of the applied object, read like the
	 * last-applied-configuration (source last-applied, the annotation's name
	 * as manager): kapp.k14s.io/original always, these besides.
	 */
	const char *const *annotations;
	size_t nannotations;
	bool managed_fields;       /* emit managed-fields entries (default true) */
	/*
	 * When set, a chart directory is rendered for chart->target
	 * (helmchart.h) instead of scanned for literal apiVersions, and its
	 * other folders (crds/ and any besides templates/ and charts/) are read
	 * as plain manifests.  Its errors sink is replaced by this one's.
	 */
	const struct kup_chart_opts *chart;
	/* called after each document and each file with the counts so far (may be NULL) */
	void (*on_progress)(void *ctx, const struct kup_ingest_stats *stats);
	void *progress_ctx;
	/*
	 * When set, sees the bytes of every file read, as the reader takes them
	 * (once, front to back; `path` as findings name the file; may be NULL):
	 * what cannot be read again (a pipe, a FIFO, stdin) is looked at here.
	 */
	void (*on_bytes)(void *ctx, const char *path, const char *buf, size_t n);
	void *bytes_ctx;
};
void kup_ingest_opts_init(struct kup_ingest_opts *o);

struct kup_ingest_stats {
	size_t files;
	uint64_t bytes;            /* of the files read (stdin and buffers included) */
	size_t documents;
	size_t objects;
	size_t errors;
};

/*
 * Walks a directory as scan and fix read one: recursively, entries in sorted
 * order, dot-entries skipped.  on_file gets every regular .yaml/.yml/.json
 * file; a directory holding Chart.yaml goes to on_chart instead of being
 * descended (when on_chart is NULL it is skipped).
 *
 * Symbolic links are followed, but every directory and every file is
 * reached at most once (a set of (device, inode) pairs): a file reached
 * again through a link is skipped; a link to a directory reached already is
 * not followed and goes to on_warning - a loop ("a symbolic link loop back
 * to 'DIR'") when it points at the directory it is in or one above, else a
 * second way into a directory read already.  So the walk ends and prints
 * each file once.
 *
 * on_error gets, with a message naming the path, what could not be read:
 * a dangling symbolic link, an entry removed between the listing and its
 * turn, a directory that cannot be opened, more than 64 levels.  The walk
 * goes on after each.  Stops with the first status other than KUP_OK a
 * callback returns (or KUP_NOMEM).
 */
struct kup_walk_problem {
	const char *path;       /* the entry: the link, the file, the directory */
	int errnum;             /* ENOENT, ELOOP, EACCES...; 0 when none applies */
	bool warning;
	const char *msg;        /* "cannot read 'd/x.yaml': a dangling symbolic link" */
};
struct kup_walk {
	enum kup_status (*on_file)(void *ctx, const char *path);
	enum kup_status (*on_chart)(void *ctx, const char *dir);
	void (*on_error)(void *ctx, const struct kup_walk_problem *p);
	void (*on_warning)(void *ctx, const struct kup_walk_problem *p);
	void *ctx;
};
enum kup_status kup_walk_dir(const char *dir, const struct kup_walk *w);

struct kup_ingest;
enum kup_status kup_ingest_new(const struct kup_ingest_opts *opts, struct kup_ingest **out);
/*
 * Reads one path ("-" is stdin): a directory is walked; anything else - a
 * regular file, a pipe, a FIFO, a socket, /dev/stdin, a process substitution
 * - is read once, front to back, its format sniffed from the first bytes
 * before the reader consumes them (kup_input).  Returns KUP_OK unless the
 * callback stopped.
 */
enum kup_status kup_ingest_path(struct kup_ingest *in, const char *path);
/*
 * Reads the file at `path`, naming it `name` in objects and errors (a copy
 * of a pipe read under the name the user gave); name NULL: kup_ingest_path.
 */
enum kup_status kup_ingest_path_as(struct kup_ingest *in, const char *path, const char *name);
/* Reads a buffer as if it were the file `name`. */
enum kup_status kup_ingest_mem(struct kup_ingest *in, const char *name,
			       const char *text, size_t len);
/*
 * Flushes what needs the whole input (Helm releases are held until every
 * revision was seen, to pick the newest deployed one).  Call once at the end.
 */
enum kup_status kup_ingest_finish(struct kup_ingest *in);
const struct kup_ingest_stats *kup_ingest_stats(const struct kup_ingest *in);
void kup_ingest_free(struct kup_ingest *in);

#endif
