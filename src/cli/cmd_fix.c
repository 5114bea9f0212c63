/*
 * cmd_fix.c - `kupgrade fix`: rewrite manifests to the APIs served at the
 * target.  Shows a unified diff (default), prints the fixed text
 * (--stdout), or replaces the files atomically (--write [--backup]).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kupgrade/fix.h"
#include "cli.h"
#include "kupgrade/ingest.h"
#include "kupgrade/report.h"

enum mode { MODE_DIFF, MODE_WRITE, MODE_STDOUT, MODE_CHECK };

struct run {
	struct kup_fix_opts opts;
	enum mode mode;
	bool backup;
	bool error;
	bool unfixable_removed;
	bool would_change;        /* --check: some file would change */
	size_t files;             /* inputs read */
	/* -o FORMAT: the conversions and refusals as a report instead of the diff */
	bool report;
	enum kup_format fmt;
	struct kup_report_item *items;
	size_t nitems, cap;
	struct kup_arena strings;  /* the items' strings (the notes are freed per file) */
};

enum { OPT_TO = 256, OPT_DIFF, OPT_WRITE, OPT_BACKUP, OPT_STDOUT, OPT_KB, OPT_HELM, OPT_CHECK,
       OPT_MAX_DOC };

static const struct cli_opt fix_opts[] = {
	{ OPT_TO, 0, "to", CLI_ARG, "VERSION", "target Kubernetes version", "newest in the KB",
	  CLI_HINT_NONE, NULL, NULL },
	{ OPT_DIFF, 0, "diff", CLI_NOARG, NULL, "show a unified diff of the changes (the default)",
	  NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_CHECK, 0, "check", CLI_NOARG, NULL,
	  "show the diff and exit 3 if anything would change; change nothing (for CI and "
	  "pre-commit hooks)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_WRITE, 0, "write", CLI_NOARG, NULL,
	  "replace the files (atomically; a symlink's target is rewritten, hard-linked files in "
	  "place after a backup)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_BACKUP, 0, "backup", CLI_NOARG, NULL,
	  "with --write: keep the original as FILE.orig (then FILE.orig.1, ...: a backup is never "
	  "overwritten)", NULL, CLI_HINT_NONE, NULL, NULL },
	{ OPT_STDOUT, 0, "stdout", CLI_NOARG, NULL, "print the fixed text of every input", NULL,
	  CLI_HINT_NONE, NULL, NULL },
	{ 'o', 'o', "output", CLI_ARG, "FORMAT",
	  "instead of the diff, report the objects that cannot be fixed", NULL, CLI_HINT_ENUM,
	  "table json yaml csv markdown sarif junit html", NULL },
	{ OPT_HELM, 0, "helm-release", CLI_ARG, "FILE",
	  "fix a Helm release record (Secret or ConfigMap dump; repeatable)", NULL, CLI_HINT_FILE,
	  NULL, NULL },
	{ OPT_KB, 0, "kb", CLI_ARG, "DIR", "use the knowledge base in DIR", NULL, CLI_HINT_DIR, NULL,
	  NULL },
	{ OPT_MAX_DOC, 0, "max-document-size", CLI_ARG, "SIZE",
	  "refuse a document (one object, or one item of a List or top-level array) larger than "
	  "SIZE, or of more than one node per 8 bytes of it, leaving it unchanged; Helm releases "
	  "decompressing past it are refused too", "256M", CLI_HINT_NONE, NULL, NULL },
	CLI_OPT_HELP,
	CLI_OPT_END,
};

const struct cli_cmd cli_cmd_fix = {
	"fix",
	"[PATH...] --to VERSION [--diff | --check | --write [--backup] | --stdout | -o FORMAT]",
	"rewrite manifests to the APIs served at the target version",
	"Rewrites manifests (YAML or JSON files, directories, '-' for stdin) to the APIs served at "
	"the target version, changing only the edited fields.",
	fix_opts, CLI_HINT_PATH, NULL,
	"Exit: 0 nothing to fix or all fixed, 3 something removed at the target could not be "
	"fixed (with --check: or something would change), 1 error.",
	NULL,
};

/* ---- unified diff ------------------------------------------------------------------------ */

/*
 * The diff is computed region by region: the library reports where the
 * output differs (kup_fix_result.spans); outside those spans both texts are
 * the same bytes, so only the lines around a span are compared (Myers'
 * algorithm), and the unchanged lines between regions are counted, never
 * stored.  Memory is the two texts plus one byte per line of the op script.
 * A result without spans (a Helm record) is one region: the whole text.
 */

struct lines {
	const char **p;
	size_t *n;
	size_t count;
};

static void lines_release(struct lines *l)
{
	free(l->p);
	free(l->n);
	memset(l, 0, sizeof *l);
}

static bool split_lines(const char *t, size_t len, struct lines *l)
{
	size_t cap = 0;
	l->p = NULL;
	l->n = NULL;
	l->count = 0;
	size_t i = 0;
	while (i < len) {
		const char *nl = memchr(t + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - t) + 1 : len;
		if (l->count == cap) {
			size_t nc = cap ? cap * 2 : 64;
			const char **np = kup_xrealloc_array(l->p, nc, sizeof *np);
			if (!np)
				return false;
			l->p = np;
			size_t *nn = kup_xrealloc_array(l->n, nc, sizeof *nn);
			if (!nn)
				return false;
			l->n = nn;
			cap = nc;
		}
		l->p[l->count] = t + i;
		l->n[l->count] = e - i;
		l->count++;
		i = e;
	}
	return true;
}

static bool line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->n[i] == b->n[j] && memcmp(a->p[i], b->p[j], a->n[i]) == 0;
}

/* op per line of the script: '=' keep, '-' delete from a, '+' insert from b */
struct script {
	char *op;
	size_t n, cap;
};

static bool script_add(struct script *s, char op)
{
	if (!kup_grow(&s->op, &s->cap, s->n + 1, 1, 256))
		return false;
	s->op[s->n++] = op;
	return true;
}

static bool script_keep(struct script *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!script_add(s, '='))
			return false;
	return true;
}

/*
 * Myers' O(ND) greedy algorithm, the V array of step d kept (2d+1 entries)
 * for the trace back; past `cap_d` differences the middle is one replaced
 * block.
 */
static bool myers(const struct lines *a, size_t a0, size_t a1, const struct lines *b, size_t b0,
		  size_t b1, struct script *out)
{
	long n = (long)(a1 - a0), m = (long)(b1 - b0);
	long maxd = n + m;
	const long cap_d = 4000;
	if (maxd > cap_d)
		maxd = cap_d;
	long off = maxd + 1;
	size_t width = (size_t)(2 * maxd + 3);
	long **trace = kup_calloc((size_t)maxd + 1, sizeof *trace);
	long *v = kup_calloc(width, sizeof *v);
	if (!trace || !v) {
		free(trace);
		free(v);
		return false;
	}
	long found = -1;
	for (long d = 0; d <= maxd && found < 0; d++) {
		for (long k = -d; k <= d; k += 2) {
			long x;
			if (k == -d || (k != d && v[off + k - 1] < v[off + k + 1]))
				x = v[off + k + 1];
			else
				x = v[off + k - 1] + 1;
			long y = x - k;
			while (x < n && y < m && line_eq(a, a0 + (size_t)x, b, b0 + (size_t)y)) {
				x++;
				y++;
			}
			v[off + k] = x;
			if (x >= n && y >= m) {
				found = d;
				break;
			}
		}
		/* step d touched k in [-d-1, d+1] (the neighbours read) */
		trace[d] = kup_malloc((size_t)(2 * d + 3) * sizeof(long));
		if (!trace[d]) {
			found = -2;
			break;
		}
		memcpy(trace[d], v + off - d - 1, (size_t)(2 * d + 3) * sizeof(long));
	}
	bool ok = true;
	if (found >= 0) {
		struct script rev = { NULL, 0, 0 };
		long x = n, y = m;
		for (long d = found; d > 0 && ok; d--) {
			const long *pv = trace[d - 1];   /* index k + d (step d-1 spans -d..d) */
			long k = x - y;
			long pk = (k == -d || (k != d && pv[k - 1 + d] < pv[k + 1 + d])) ? k + 1
											 : k - 1;
			long px = pv[pk + d], py = px - pk;
			while (x > px && y > py && ok) {
				ok = script_add(&rev, '=');
				x--;
				y--;
			}
			if (ok)
				ok = script_add(&rev, x == px ? '+' : '-');
			x = px;
			y = py;
		}
		while (ok && x > 0 && y > 0) {
			ok = script_add(&rev, '=');
			x--;
			y--;
		}
		for (size_t i = rev.n; ok && i > 0; i--)
			ok = script_add(out, rev.op[i - 1]);
		free(rev.op);
	} else if (found == -1) {
		for (long i = 0; ok && i < n; i++)
			ok = script_add(out, '-');
		for (long i = 0; ok && i < m; i++)
			ok = script_add(out, '+');
	} else {
		ok = false;
	}
	for (long d = 0; d <= maxd; d++)
		free(trace[d]);
	free(trace);
	free(v);
	return ok;
}

/* The script of one region: common prefix and suffix first (edits are few). */
static bool diff_region(const char *a, size_t alen, const char *b, size_t blen, struct script *s)
{
	struct lines la = { 0 }, lb = { 0 };
	bool ok = split_lines(a, alen, &la) && split_lines(b, blen, &lb);
	if (ok) {
		size_t pre = 0, suf = 0;
		while (pre < la.count && pre < lb.count && line_eq(&la, pre, &lb, pre))
			pre++;
		while (suf < la.count - pre && suf < lb.count - pre &&
		       line_eq(&la, la.count - 1 - suf, &lb, lb.count - 1 - suf))
			suf++;
		ok = script_keep(s, pre) &&
		     myers(&la, pre, la.count - suf, &lb, pre, lb.count - suf, s) &&
		     script_keep(s, suf);
	}
	lines_release(&la);
	lines_release(&lb);
	return ok;
}

static size_t count_lines(const char *t, size_t len)
{
	size_t n = 0;
	for (const char *p = t, *e = t + len; p < e; p++) {
		const char *nl = memchr(p, '\n', (size_t)(e - p));
		n++;
		if (!nl)
			break;
		p = nl;
	}
	return n;
}

static size_t line_begin(const char *t, size_t pos)
{
	while (pos > 0 && t[pos - 1] != '\n')
		pos--;
	return pos;
}

static size_t line_finish(const char *t, size_t len, size_t pos)
{
	if (pos > 0 && t[pos - 1] == '\n')
		return pos;
	const char *nl = memchr(t + pos, '\n', len - pos);
	return nl ? (size_t)(nl - t) + 1 : len;
}

/*
 * A region: lines [as, ae) of the input and their new text (the input with
 * the spans inside replaced by their output), compared with Myers.  Between
 * regions the new text is the input's.
 */
struct region {
	size_t as, ae;
	char *b;
	size_t blen;
	bool owned;
};

struct regions {
	struct region *v;
	size_t n, cap;
};

static void regions_release(struct regions *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->v[i].owned)
			free(rs->v[i].b);
	free(rs->v);
	memset(rs, 0, sizeof *rs);
}

/* The regions and the op script of the whole file (one region without spans). */
static bool build_script(const char *a, size_t alen, const char *b, size_t blen,
			 const struct kup_fix_result *res, struct regions *rs, struct script *s)
{
	if (!res->spans_valid) {
		if (!kup_grow(&rs->v, &rs->cap, 1, sizeof *rs->v, 1))
			return false;
		rs->v[rs->n++] = (struct region){ 0, alen, (char *)b, blen, false };
		return diff_region(a, alen, b, blen, s);
	}
	size_t apos = 0;   /* at a line start; the texts are equal before */
	for (size_t i = 0; i < res->nspans;) {
		size_t as = line_begin(a, res->spans[i].start);
		size_t ae = line_finish(a, alen, res->spans[i].end);
		/* spans whose lines touch form one region */
		size_t j = i + 1;
		while (j < res->nspans && res->spans[j].start < ae + 1) {
			size_t e2 = line_finish(a, alen, res->spans[j].end);
			if (e2 > ae)
				ae = e2;
			j++;
		}
		if (as < apos)
			as = apos;
		struct kup_buf nb = KUP_BUF_INIT;
		size_t p = as;
		for (size_t k = i; k < j; k++) {
			kup_buf_add(&nb, a + p, res->spans[k].start - p);
			kup_buf_add(&nb, b + res->spans[k].out_start,
				    res->spans[k].out_end - res->spans[k].out_start);
			p = res->spans[k].end;
		}
		kup_buf_add(&nb, a + p, ae - p);
		if (nb.oom || !kup_grow(&rs->v, &rs->cap, rs->n + 1, sizeof *rs->v, 16)) {
			kup_buf_release(&nb);
			return false;
		}
		size_t nlen = 0;
		char *nbuf = kup_buf_detach(&nb, &nlen);
		rs->v[rs->n++] = (struct region){ as, ae, nbuf, nlen, true };
		if (!script_keep(s, count_lines(a + apos, as - apos)) ||
		    !diff_region(a + as, ae - as, nbuf ? nbuf : "", nlen, s))
			return false;
		apos = ae;
		i = j;
	}
	return script_keep(s, count_lines(a + apos, alen - apos));
}

static void put_line(FILE *fp, char tag, const char *p, size_t n)
{
	fputc(tag, fp);
	fwrite(p, 1, n, fp);
	if (n == 0 || p[n - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", fp);
}

/* A position in a text: the byte offset of line `line` (0-based). */
struct cursor {
	const char *t;
	size_t len, pos, line;
};

static size_t cursor_take(struct cursor *c, const char **p)
{
	const char *nl = memchr(c->t + c->pos, '\n', c->len - c->pos);
	size_t e = nl ? (size_t)(nl - c->t) + 1 : c->len;
	size_t n = e - c->pos;
	*p = c->t + c->pos;
	c->pos = e;
	c->line++;
	return n;
}

/* The new text, line by line: the input's lines, a region's own between its bounds. */
struct bcursor {
	const char *a;
	size_t alen;
	const struct regions *rs;
	size_t apos, ri, rpos, line;
	bool in;
};

static size_t bcursor_take(struct bcursor *c, const char **p)
{
	for (;;) {
		if (!c->in && c->ri < c->rs->n && c->apos >= c->rs->v[c->ri].as) {
			c->in = true;
			c->rpos = 0;
		}
		if (c->in) {
			const struct region *r = &c->rs->v[c->ri];
			if (c->rpos >= r->blen) {
				c->in = false;
				c->apos = r->ae;
				c->ri++;
				continue;
			}
			const char *nl = memchr(r->b + c->rpos, '\n', r->blen - c->rpos);
			size_t e = nl ? (size_t)(nl - r->b) + 1 : r->blen;
			*p = r->b + c->rpos;
			size_t n = e - c->rpos;
			c->rpos = e;
			c->line++;
			return n;
		}
		const char *nl = memchr(c->a + c->apos, '\n', c->alen - c->apos);
		size_t e = nl ? (size_t)(nl - c->a) + 1 : c->alen;
		*p = c->a + c->apos;
		size_t n = e - c->apos;
		c->apos = e;
		c->line++;
		return n;
	}
}

static bool print_diff(FILE *fp, const char *path, const char *a, size_t alen, const char *b,
		       size_t blen, const struct kup_fix_result *res)
{
	struct script s = { NULL, 0, 0 };
	struct regions rs = { NULL, 0, 0 };
	if (!build_script(a, alen, b, blen, res, &rs, &s)) {
		free(s.op);
		regions_release(&rs);
		return false;
	}
	const char *shown = strcmp(path, "-") == 0 ? "stdin" : path;
	fprintf(fp, "--- a/%s\n+++ b/%s\n", shown, shown);
	struct cursor ca = { a, alen, 0, 0 };
	struct bcursor cb = { a, alen, &rs, 0, 0, 0, 0, false };
	/* the starts of the last three kept lines, for the context before a hunk */
	struct cursor ring_a[3];
	struct bcursor ring_b[3];
	size_t nring = 0;
	size_t i = 0;
	while (i < s.n) {
		if (s.op[i] == '=') {
			const char *p;
			ring_a[nring % 3] = ca;
			ring_b[nring % 3] = cb;
			nring++;
			cursor_take(&ca, &p);
			bcursor_take(&cb, &p);
			i++;
			continue;
		}
		/* a hunk: up to 3 kept lines before, to 3 after the last change that
		 * is at most 6 kept lines away */
		size_t before = nring < 3 ? nring : 3;
		size_t start = i - before;
		size_t end = i;
		for (;;) {
			while (end < s.n && s.op[end] != '=')
				end++;
			size_t k = end;
			while (k < s.n && s.op[k] == '=' && k - end < 7)
				k++;
			if (k < s.n && s.op[k] != '=' && k - end <= 6) {
				end = k;
				continue;
			}
			break;
		}
		size_t stop = end;
		while (stop < s.n && s.op[stop] == '=' && stop - end < 3)
			stop++;
		if (before) {
			ca = ring_a[(nring - before) % 3];
			cb = ring_b[(nring - before) % 3];
		}
		size_t acount = 0, bcount = 0;
		for (size_t k = start; k < stop; k++) {
			if (s.op[k] != '+')
				acount++;
			if (s.op[k] != '-')
				bcount++;
		}
		fprintf(fp, "@@ -%zu", acount ? ca.line + 1 : ca.line);
		if (acount != 1)
			fprintf(fp, ",%zu", acount);
		fprintf(fp, " +%zu", bcount ? cb.line + 1 : cb.line);
		if (bcount != 1)
			fprintf(fp, ",%zu", bcount);
		fputs(" @@\n", fp);
		/* deletions of a run before its insertions, as diff -u does */
		size_t k = start;
		while (k < stop) {
			const char *p;
			size_t n;
			if (s.op[k] == '=') {
				n = cursor_take(&ca, &p);
				bcursor_take(&cb, &p);
				put_line(fp, ' ', p, n);
				k++;
				continue;
			}
			size_t r = k;
			while (r < stop && s.op[r] != '=')
				r++;
			for (size_t q = k; q < r; q++)
				if (s.op[q] == '-') {
					n = cursor_take(&ca, &p);
					put_line(fp, '-', p, n);
				}
			for (size_t q = k; q < r; q++)
				if (s.op[q] == '+') {
					n = bcursor_take(&cb, &p);
					put_line(fp, '+', p, n);
				}
			k = r;
		}
		nring = 0;
		i = stop;
	}
	free(s.op);
	regions_release(&rs);
	return true;
}

/* ---- writing ----------------------------------------------------------------------------- */

/*
 * --write replaces a file through a temporary file next to it (same owner,
 * group and mode), fsync and rename, so a reader never sees half a file.
 * A symbolic link is followed: its target is rewritten and the link kept.
 * A file with several hard links is rewritten in place (the same inode, so
 * every link sees the change) after its original is saved as a backup,
 * --backup or not: an in-place write is not atomic.  FIFOs, devices and
 * sockets are refused.  The temporary file is removed on SIGINT/SIGTERM.
 */

static char tmp_path[4096];
static volatile sig_atomic_t tmp_live;

static void on_signal(int sig)
{
	if (tmp_live)
		unlink(tmp_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void catch_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

/* Every write, fsync, close, rename and unlink goes through core's I/O indirection
 * (kup_io()), so the tests can make any of them fail with ENOSPC or EIO. */
static bool write_all(int fd, const char *p, size_t n)
{
	return kup_io_write_all(fd, p, n);
}

static void sync_dir_of(const char *path)
{
	struct kup_buf dir = KUP_BUF_INIT;
	const char *slash = strrchr(path, '/');
	if (slash)
		kup_buf_add(&dir, path, (size_t)(slash - path) + (slash == path ? 1 : 0));
	else
		kup_buf_adds(&dir, ".");
	if (!dir.oom) {
		int dfd = open(dir.buf, O_RDONLY);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	kup_buf_release(&dir);
}

/* Writes `path` atomically with the owner, group and mode of `sb`. */
static bool atomic_write(const char *path, const char *text, size_t len, const struct stat *sb)
{
	struct kup_buf tmp = KUP_BUF_INIT;
	const char *slash = strrchr(path, '/');
	if (slash)
		kup_buf_add(&tmp, path, (size_t)(slash - path) + 1);
	kup_buf_addf(&tmp, ".%s.kupgrade-XXXXXX", slash ? slash + 1 : path);
	if (tmp.oom || tmp.len >= sizeof tmp_path) {
		kup_buf_release(&tmp);
		cli_error("cannot write '%s': %s", path, tmp.oom ? "out of memory" : "name too long");
		return false;
	}
	/* SIGINT/SIGTERM/SIGHUP wait until the handler knows the file: one that came between
	 * mkstemp and tmp_live = 1 left the temporary file behind (seen in tests/fix-signal.sh). */
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	int fd = kup_io_mkstemp(tmp.buf);
	if (fd >= 0) {
		memcpy(tmp_path, tmp.buf, tmp.len + 1);
		tmp_live = 1;
	}
	int mk_errno = errno;
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	if (fd < 0) {
		cli_error("cannot write '%s': %s", path, strerror(mk_errno));
		kup_buf_release(&tmp);
		return false;
	}
	const char *what = "cannot write";
	bool ok = write_all(fd, text, len);
	if (ok && (sb->st_uid != geteuid() || sb->st_gid != getegid()) &&
	    fchown(fd, sb->st_uid, sb->st_gid) != 0) {
		ok = false;
		what = "cannot keep the owner and group of";
	}
	ok = ok && fchmod(fd, sb->st_mode & 07777) == 0 && kup_io()->fsync(fd) == 0;
	int saved = errno;
	if (kup_io()->close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && kup_io()->rename(tmp.buf, path) != 0) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		kup_io()->unlink(tmp.buf);
		cli_error("%s '%s': %s", what, path, strerror(saved));
	} else {
		sync_dir_of(path);
	}
	tmp_live = 0;
	kup_buf_release(&tmp);
	return ok;
}

/* Rewrites `path` in place (hard links keep sharing it). */
static bool inplace_write(const char *path, const char *text, size_t len)
{
	int fd = kup_io()->open(path, O_WRONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		return false;
	}
	bool ok = write_all(fd, text, len) && ftruncate(fd, (off_t)len) == 0 &&
		  kup_io()->fsync(fd) == 0;
	int saved = errno;
	if (kup_io()->close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (!ok)
		cli_error("cannot write '%s': %s", path, strerror(saved));
	return ok;
}

/*
 * Saves the original as PATH.orig, or PATH.orig.1, .2, ... when that exists:
 * a backup is never overwritten.  The name used goes to `name`.
 */
static bool write_backup(const char *path, const char *text, size_t len, const struct stat *sb,
			 struct kup_buf *name)
{
	for (unsigned n = 0; n < 10000; n++) {
		kup_buf_reset(name);
		kup_buf_addf(name, n ? "%s.orig.%u" : "%s.orig", path, n);
		if (name->oom) {
			cli_error("out of memory");
			return false;
		}
		int fd = kup_io()->open(name->buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
					sb->st_mode & 0777);
		if (fd < 0 && errno == EEXIST)
			continue;
		if (fd < 0) {
			cli_error("cannot write '%s': %s", name->buf, strerror(errno));
			return false;
		}
		bool ok = write_all(fd, text, len) && kup_io()->fsync(fd) == 0;
		int saved = errno;
		if (kup_io()->close(fd) != 0 && ok) {
			ok = false;
			saved = errno;
		}
		if (!ok) {
			kup_io()->unlink(name->buf);
			cli_error("cannot write '%s': %s", name->buf, strerror(saved));
		}
		return ok;
	}
	cli_error("cannot back up '%s': too many backups", path);
	return false;
}

static const char *file_type(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" : S_ISCHR(m) ? "a character device"
		: S_ISBLK(m) ? "a block device" : S_ISDIR(m) ? "a directory" : "not a regular file";
}

/*
 * What --write will write to: the file itself, or the target of a symbolic
 * link.  False (with the error printed) for anything but a regular file.
 */
static bool write_target(const char *path, struct kup_buf *target, struct stat *sb)
{
	struct stat lsb;
	if (lstat(path, &lsb) != 0) {
		cli_error("cannot read '%s': %s", path, strerror(errno));
		return false;
	}
	kup_buf_reset(target);
	if (S_ISLNK(lsb.st_mode)) {
		char *real = realpath(path, NULL);
		if (!real) {
			cli_error("cannot follow the link '%s': %s", path, strerror(errno));
			return false;
		}
		kup_buf_adds(target, real);
		free(real);
	} else {
		kup_buf_adds(target, path);
	}
	if (target->oom) {
		cli_error("out of memory");
		return false;
	}
	if (stat(target->buf, sb) != 0) {
		cli_error("cannot read '%s': %s", target->buf, strerror(errno));
		return false;
	}
	if (!S_ISREG(sb->st_mode)) {
		cli_error("refusing to write '%s': %s", path, file_type(sb->st_mode));
		return false;
	}
	return true;
}

/* --write of one changed file (the target checked before it was read). */
static bool replace_file(struct run *r, const char *path, const char *target,
			 const struct stat *sb, const char *old, size_t oldlen, const char *text,
			 size_t len)
{
	struct kup_buf bak = KUP_BUF_INIT;
	bool ok = true;
	bool linked = sb->st_nlink > 1;
	if ((r->backup || linked) && !(ok = write_backup(target, old, oldlen, sb, &bak)))
		goto out;
	if (linked) {
		ok = inplace_write(target, text, len);
		if (ok)
			fprintf(stderr, "%s: has %ju hard links: rewritten in place, the original "
					"saved as '%s'\n", path, (uintmax_t)sb->st_nlink, bak.buf);
		else
			cli_error("the original of '%s' is in '%s'", path, bak.buf);
	} else {
		ok = atomic_write(target, text, len, sb);
	}
out:
	kup_buf_release(&bak);
	return ok;
}

/* ---- one input ---------------------------------------------------------------------------- */

static void print_error(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	cli_print_error(err);
}

/* -o: keeps the conversions and refusals of one file as report items, their strings copied. */
static void keep_items(struct run *r, const char *path, const struct kup_fix_result *res)
{
	for (size_t i = 0; i < res->nnotes; i++) {
		if (!kup_grow(&r->items, &r->cap, r->nitems + 1, sizeof(*r->items), 16) ||
		    !kup_fix_report_item(&r->items[r->nitems], path, &res->notes[i], &r->strings)) {
			cli_error("out of memory");
			r->error = true;
			return;
		}
		r->nitems++;
	}
}

static void print_notes(const struct run *r, const char *path, const struct kup_fix_result *res)
{
	for (size_t i = 0; i < res->nnotes; i++) {
		const struct kup_fix_note *n = &res->notes[i];
		if (r->report)
			continue;   /* in the report */
		fprintf(stderr, "%s:%u:%u: %s ", path, n->line, n->column, n->kind ? n->kind : "?");
		if (n->namespace_)
			fprintf(stderr, "%s/", n->namespace_);
		fprintf(stderr, "%s: ", n->name ? n->name : "(unnamed)");
		if (n->outcome == KUP_FIX_CONVERTED) {
			fprintf(stderr, "converted %s -> %s", n->api_version, n->to_api_version);
			if (n->reason)
				fprintf(stderr, " (%s)", n->reason);
		} else {
			fprintf(stderr, "cannot fix: %s", n->reason ? n->reason : "unknown reason");
		}
		fputc('\n', stderr);
	}
}

static void fix_one(struct run *r, const char *path, bool helm)
{
	char *text = NULL;
	size_t len = 0;
	struct kup_error err = KUP_ERROR_INIT;
	struct kup_buf target = KUP_BUF_INIT;
	struct stat sb;
	if (r->mode == MODE_WRITE && strcmp(path, "-") != 0 && !write_target(path, &target, &sb)) {
		r->error = true;
		kup_buf_release(&target);
		return;
	}
	if (kup_read_file(path, (size_t)1 << 30, &text, &len, &err) != KUP_OK) {
		cli_print_error(&err);
		if (!err.path)
			cli_error("cannot read '%s'", path);
		kup_error_release(&err);
		r->error = true;
		kup_buf_release(&target);
		return;
	}
	r->files++;
	struct kup_fix_result res;
	kup_fix_result_init(&res);
	struct kup_buf out = KUP_BUF_INIT;
	/* a diff needs only the changed text: the rest is the input's */
	struct kup_fix_opts opts = r->opts;
	opts.edits_only = !helm && (r->mode == MODE_DIFF || r->mode == MODE_CHECK);
	enum kup_status st = helm ? kup_fix_helm_release(path, text, len, &opts, &out, &res)
				  : kup_fix_text(path, text, len, &opts, &out, &res);
	if (st != KUP_OK || out.oom) {
		cli_error("cannot fix '%s': %s", path, kup_strerror(st != KUP_OK ? st : KUP_NOMEM));
		r->error = true;
		goto done;
	}
	print_notes(r, path, &res);
	if (r->report)
		keep_items(r, path, &res);
	if (res.errors)
		r->error = true;
	if (res.unfixable_removed)
		r->unfixable_removed = true;
	const char *fixed = out.buf ? out.buf : "";
	bool changed = opts.edits_only ? res.nspans > 0
				       : out.len != len || memcmp(fixed, text, len) != 0;
	switch (r->mode) {
	case MODE_STDOUT:
		fwrite(fixed, 1, out.len, stdout);
		break;
	case MODE_DIFF:
		if (changed && !r->report && !print_diff(stdout, path, text, len, fixed, out.len, &res)) {
			cli_error("out of memory");
			r->error = true;
		}
		break;
	case MODE_CHECK:
		if (changed) {
			r->would_change = true;
			if (!r->report && !print_diff(stdout, path, text, len, fixed, out.len, &res)) {
				cli_error("out of memory");
				r->error = true;
			}
		}
		break;
	case MODE_WRITE:
		if (!changed)
			break;
		if (strcmp(path, "-") == 0) {
			fwrite(fixed, 1, out.len, stdout);
			break;
		}
		if (!replace_file(r, path, target.buf, &sb, text, len, fixed, out.len))
			r->error = true;
		break;
	}
done:
	kup_buf_release(&target);
	kup_buf_release(&out);
	kup_fix_result_release(&res);
	free(text);
}

/* ---- walking ------------------------------------------------------------------------------ */

static enum kup_status walk_file(void *ctx, const char *path)
{
	fix_one(ctx, path, false);
	return KUP_OK;
}

static enum kup_status walk_chart(void *ctx, const char *dir)
{
	(void)ctx;
	fprintf(stderr, "%s: a Helm chart: skipped (templates are not fixed)\n", dir);
	return KUP_OK;
}

static void walk_error(void *ctx, const struct kup_walk_problem *p)
{
	struct run *r = ctx;

	cli_error("%s", p->msg);
	r->error = true;
}

static void walk_warning(void *ctx, const struct kup_walk_problem *p)
{
	(void)ctx;
	cli_warning("%s", p->msg);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void fix_dir(struct run *r, const char *dir)
{
	struct kup_walk w = { walk_file, walk_chart, walk_error, walk_warning, r };

	if (kup_walk_dir(dir, &w) != KUP_OK) {
		cli_error("out of memory walking '%s'", dir);
		r->error = true;
	}
}

/*
 * -o: the conversions and refusals in the report model (no API lifecycle
 * pass: items only); *rc its exit code at --fail-on removed (3 for an API
 * removed at the target that cannot be converted, as without -o).
 */
static bool render_refusals(struct run *r, int *rc)
{
	struct kup_report rep;
	struct kup_buf out = KUP_BUF_INIT;
	char tbuf[32];
	bool ok;

	memset(&rep, 0, sizeof(rep));
	rep.items = r->items;
	rep.nitems = r->nitems;
	rep.passes = 1u << KUP_ITEM_FIX;
	rep.items_only = true;
	rep.title = "kupgrade fix";
	rep.summary.files = r->files;
	rep.target_version = kup_version_minor_str(&r->opts.target, tbuf, sizeof(tbuf));
	rep.tool_version = KUP_VERSION_STRING;
	rep.color = false;
	rep.has_fail_on = true;
	rep.fail_on = KUP_FAIL_REMOVED;
	ok = !kup_arena_failed(&r->strings) && kup_report_render(r->fmt, &rep, &out) == KUP_OK &&
	     !out.oom;
	if (ok && out.len && fwrite(out.buf, 1, out.len, stdout) != out.len)
		ok = false;
	if (!ok)
		cli_error("cannot write the report");
	*rc = kup_report_exit_code(&rep, KUP_FAIL_REMOVED);
	kup_buf_release(&out);
	return ok;
}

int cmd_fix(int argc, char **argv)
{
	struct cli_parse p;
	const char *to = NULL, *kb_dir = NULL;
	size_t max_doc = 0;
	const char **helm = NULL;
	size_t nhelm = 0, helm_cap = 0;
	struct run r;
	memset(&r, 0, sizeof r);
	kup_arena_init(&r.strings, 4096);
	int nmodes = 0, c, rc = KUP_EXIT_OK;
	bool usage_error = false;
	struct kup_kb *kb = NULL;

	cli_parse_init(&p, &cli_cmd_fix, argc, argv);
	while ((c = cli_parse_next(&p)) != -1) {
		switch (c) {
		case 'o':
			r.report = true;
			if (!kup_format_parse(p.arg, &r.fmt)) {
				cli_error("unknown output format '%s' (table, json, yaml, csv, markdown, "
					  "sarif, junit, html)", p.arg);
				usage_error = true;
			}
			break;
		case OPT_TO: to = p.arg; break;
		case OPT_DIFF: r.mode = MODE_DIFF; nmodes++; break;
		case OPT_CHECK: r.mode = MODE_CHECK; nmodes++; break;
		case OPT_WRITE: r.mode = MODE_WRITE; nmodes++; break;
		case OPT_STDOUT: r.mode = MODE_STDOUT; nmodes++; break;
		case OPT_BACKUP: r.backup = true; break;
		case OPT_KB: kb_dir = p.arg; break;
		case OPT_MAX_DOC:
			if (!cli_parse_size(p.arg, &max_doc)) {
				cli_error("bad --max-document-size '%s': a size such as 64M or 1G", p.arg);
				usage_error = true;
			}
			break;
		case OPT_HELM:
			if (!kup_grow(&helm, &helm_cap, nhelm + 1, sizeof *helm, 4)) {
				cli_error("out of memory");
				return KUP_EXIT_ERROR;
			}
			helm[nhelm++] = p.arg;
			break;
		case 'h':
			cli_usage(&cli_cmd_fix, stdout);
			free(helm);
			return KUP_EXIT_OK;
		default:
			usage_error = true;
			break;
		}
	}
	argc = 1 + (int)p.npos;
	if (!usage_error && nmodes > 1) {
		cli_error("--diff, --check, --write and --stdout exclude each other");
		usage_error = true;
	}
	if (!usage_error && r.report && r.mode == MODE_STDOUT) {
		cli_error("--output and --stdout exclude each other");
		usage_error = true;
	}
	if (!usage_error && r.backup && r.mode != MODE_WRITE) {
		cli_error("--backup needs --write");
		usage_error = true;
	}
	if (!usage_error && argc < 2 && nhelm == 0 && isatty(STDIN_FILENO)) {
		cli_error("no input: name files or directories, or '-' for stdin");
		usage_error = true;
	}
	if (usage_error) {
		cli_usage(&cli_cmd_fix, stderr);
		free(helm);
		return KUP_EXIT_ERROR;
	}
	kb = cli_load_kb(kb_dir);
	if (!kb) {
		free(helm);
		return KUP_EXIT_ERROR;
	}
	kup_fix_opts_init(&r.opts, kb);
	if (max_doc)
		r.opts.limits.max_document = max_doc;
	if (r.mode == MODE_WRITE)
		catch_signals();
	r.opts.errors.fn = print_error;
	if (to) {
		struct kup_error err = KUP_ERROR_INIT;
		if (kup_version_parse(to, &r.opts.target, &err) != KUP_OK) {
			cli_error("--to: %s", err.msg);
			kup_error_release(&err);
			rc = KUP_EXIT_ERROR;
			goto out;
		}
		cli_kb_warn_target(kb, &r.opts.target);
	}
	if (argc < 2 && nhelm == 0)
		fix_one(&r, "-", false);
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0 && is_dir(argv[i]))
			fix_dir(&r, argv[i]);
		else
			fix_one(&r, argv[i], false);
	}
	for (size_t i = 0; i < nhelm; i++)
		fix_one(&r, helm[i], true);
	if (r.report && !render_refusals(&r, &rc))
		r.error = true;
	fflush(stdout);
	if (ferror(stdout)) {
		cli_error("cannot write the standard output");
		r.error = true;
	}
	rc = r.error ? KUP_EXIT_ERROR
		     : r.would_change ? KUP_EXIT_REMOVED
		     : r.report ? rc
		     : r.unfixable_removed ? KUP_EXIT_REMOVED : KUP_EXIT_OK;
out:
	free(r.items);
	kup_arena_release(&r.strings);
	kup_kb_free(kb);
	free(helm);
	return rc;
}
