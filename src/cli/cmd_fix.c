/*
 * cmd_fix.c - `kupgrade fix`: rewrite manifests to the APIs served at the
 * target.  Shows a unified diff (default), prints the fixed text
 * (--stdout), or replaces the files atomically (--write [--backup]).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kupgrade/fix.h"
#include "cli.h"
#include "kupgrade/ingest.h"

enum mode { MODE_DIFF, MODE_WRITE, MODE_STDOUT };

struct run {
	struct kup_fix_opts opts;
	enum mode mode;
	bool backup;
	bool error;
	bool unfixable_removed;
};

static void fix_usage(FILE *fp)
{
	fprintf(fp,
		"usage: %s fix [PATH...] --to VERSION [--diff | --write [--backup] | --stdout]\n"
		"\n"
		"Rewrites manifests (YAML or JSON files, directories, '-' for stdin) to the\n"
		"APIs served at the target version, changing only the edited fields.\n"
		"\n"
		"Options:\n"
		"  --to VERSION          target Kubernetes version (default: newest in the KB)\n"
		"  --diff                show a unified diff of the changes (default)\n"
		"  --write               replace the files (atomically)\n"
		"  --backup              with --write: keep the original as FILE.orig\n"
		"  --stdout              print the fixed text of every input\n"
		"  --helm-release FILE   fix a Helm release record (Secret or ConfigMap dump)\n"
		"  --kb DIR              use the knowledge base in DIR\n"
		"  -h, --help            show this help\n"
		"\n"
		"Exit: 0 nothing to fix or all fixed, 3 something removed at the target could\n"
		"not be fixed, 1 error.\n",
		kup_cli_name);
}

/* ---- unified diff ------------------------------------------------------------------------ */

struct lines {
	const char **p;
	size_t *n;
	size_t count;
};

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

/* op per step of the script: '=' keep, '-' delete from a, '+' insert from b */
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

/*
 * Myers' O(ND) greedy algorithm with the V array of every step kept for the
 * trace back; past `maxd` differences the middle is one replaced block.
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
	long **trace = calloc((size_t)maxd + 1, sizeof *trace);
	long *v = calloc(width, sizeof *v);
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
		trace[d] = malloc(width * sizeof(long));
		if (!trace[d]) {
			found = -2;
			break;
		}
		memcpy(trace[d], v, width * sizeof(long));
	}
	bool ok = true;
	if (found >= 0) {
		/* trace back, collecting ops in reverse */
		struct script rev = { NULL, 0, 0 };
		long x = n, y = m;
		for (long d = found; d > 0 && ok; d--) {
			const long *pv = trace[d - 1];
			long k = x - y;
			long pk = (k == -d || (k != d && pv[off + k - 1] < pv[off + k + 1])) ? k + 1
											 : k - 1;
			long px = pv[off + pk], py = px - pk;
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

static void put_line(FILE *fp, char tag, const char *p, size_t n)
{
	fputc(tag, fp);
	fwrite(p, 1, n, fp);
	if (n == 0 || p[n - 1] != '\n')
		fputs("\n\\ No newline at end of file\n", fp);
}

static bool print_diff(FILE *fp, const char *path, const char *a, size_t alen, const char *b,
		       size_t blen)
{
	struct lines la = { 0 }, lb = { 0 };
	struct script s = { NULL, 0, 0 };
	bool ok = split_lines(a, alen, &la) && split_lines(b, blen, &lb);
	if (ok) {
		/* common prefix and suffix first: edits are few */
		size_t pre = 0, suf = 0;
		while (pre < la.count && pre < lb.count && line_eq(&la, pre, &lb, pre))
			pre++;
		while (suf < la.count - pre && suf < lb.count - pre &&
		       line_eq(&la, la.count - 1 - suf, &lb, lb.count - 1 - suf))
			suf++;
		for (size_t i = 0; ok && i < pre; i++)
			ok = script_add(&s, '=');
		if (ok)
			ok = myers(&la, pre, la.count - suf, &lb, pre, lb.count - suf, &s);
		for (size_t i = 0; ok && i < suf; i++)
			ok = script_add(&s, '=');
	}
	if (ok) {
		const char *shown = strcmp(path, "-") == 0 ? "stdin" : path;
		fprintf(fp, "--- a/%s\n+++ b/%s\n", shown, shown);
		/* positions in a and b before each op */
		size_t i = 0;
		while (i < s.n) {
			if (s.op[i] == '=') {
				i++;
				continue;
			}
			/* a hunk: from 3 keeps before the change to 3 keeps after the last
			 * change that is at most 6 keeps away */
			size_t start = i >= 3 ? i - 3 : 0;
			while (start < i && s.op[start] != '=')
				start++;
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
			/* line numbers of the hunk start */
			size_t ai = 0, bi = 0;
			for (size_t k = 0; k < start; k++) {
				if (s.op[k] != '+')
					ai++;
				if (s.op[k] != '-')
					bi++;
			}
			size_t acount = 0, bcount = 0;
			for (size_t k = start; k < stop; k++) {
				if (s.op[k] != '+')
					acount++;
				if (s.op[k] != '-')
					bcount++;
			}
			fprintf(fp, "@@ -%zu", acount ? ai + 1 : ai);
			if (acount != 1)
				fprintf(fp, ",%zu", acount);
			fprintf(fp, " +%zu", bcount ? bi + 1 : bi);
			if (bcount != 1)
				fprintf(fp, ",%zu", bcount);
			fputs(" @@\n", fp);
			/* deletions of a run before its insertions, as diff -u does */
			size_t k = start;
			while (k < stop) {
				if (s.op[k] == '=') {
					put_line(fp, ' ', la.p[ai], la.n[ai]);
					ai++;
					bi++;
					k++;
					continue;
				}
				size_t r = k;
				while (r < stop && s.op[r] != '=')
					r++;
				for (size_t q = k; q < r; q++)
					if (s.op[q] == '-') {
						put_line(fp, '-', la.p[ai], la.n[ai]);
						ai++;
					}
				for (size_t q = k; q < r; q++)
					if (s.op[q] == '+') {
						put_line(fp, '+', lb.p[bi], lb.n[bi]);
						bi++;
					}
				k = r;
			}
			i = stop;
		}
	}
	free(s.op);
	free(la.p);
	free(la.n);
	free(lb.p);
	free(lb.n);
	return ok;
}

/* ---- writing ----------------------------------------------------------------------------- */

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Writes `path` atomically: a temporary file next to it, fsync, rename. */
static bool atomic_write(const char *path, const char *text, size_t len, mode_t mode)
{
	struct kup_buf tmp = KUP_BUF_INIT;
	const char *slash = strrchr(path, '/');
	if (slash)
		kup_buf_add(&tmp, path, (size_t)(slash - path) + 1);
	kup_buf_addf(&tmp, ".%s.kupgrade-XXXXXX", slash ? slash + 1 : path);
	if (tmp.oom) {
		kup_buf_release(&tmp);
		cli_error("out of memory");
		return false;
	}
	int fd = mkstemp(tmp.buf);
	if (fd < 0) {
		cli_error("cannot write '%s': %s", path, strerror(errno));
		kup_buf_release(&tmp);
		return false;
	}
	bool ok = write_all(fd, text, len) && fchmod(fd, mode & 07777) == 0 && fsync(fd) == 0;
	int saved = errno;
	if (close(fd) != 0 && ok) {
		ok = false;
		saved = errno;
	}
	if (ok && rename(tmp.buf, path) != 0) {
		ok = false;
		saved = errno;
	}
	if (!ok) {
		unlink(tmp.buf);
		cli_error("cannot write '%s': %s", path, strerror(saved));
	} else {
		/* make the rename durable */
		struct kup_buf dir = KUP_BUF_INIT;
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
	kup_buf_release(&tmp);
	return ok;
}

/* ---- one input ---------------------------------------------------------------------------- */

static void print_error(void *ctx, const struct kup_error *err)
{
	(void)ctx;
	cli_print_error(err);
}

static void print_notes(const char *path, const struct kup_fix_result *res)
{
	for (size_t i = 0; i < res->nnotes; i++) {
		const struct kup_fix_note *n = &res->notes[i];
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
	if (kup_read_file(path, (size_t)1 << 30, &text, &len, &err) != KUP_OK) {
		cli_print_error(&err);
		if (!err.path)
			cli_error("cannot read '%s'", path);
		kup_error_release(&err);
		r->error = true;
		return;
	}
	struct kup_fix_result res;
	kup_fix_result_init(&res);
	struct kup_buf out = KUP_BUF_INIT;
	enum kup_status st = helm ? kup_fix_helm_release(path, text, len, &r->opts, &out, &res)
				  : kup_fix_text(path, text, len, &r->opts, &out, &res);
	if (st != KUP_OK || out.oom) {
		cli_error("cannot fix '%s': %s", path, kup_strerror(st != KUP_OK ? st : KUP_NOMEM));
		r->error = true;
		goto done;
	}
	print_notes(path, &res);
	if (res.errors)
		r->error = true;
	if (res.unfixable_removed)
		r->unfixable_removed = true;
	const char *fixed = out.buf ? out.buf : "";
	bool changed = out.len != len || memcmp(fixed, text, len) != 0;
	switch (r->mode) {
	case MODE_STDOUT:
		fwrite(fixed, 1, out.len, stdout);
		break;
	case MODE_DIFF:
		if (changed && !print_diff(stdout, path, text, len, fixed, out.len)) {
			cli_error("out of memory");
			r->error = true;
		}
		break;
	case MODE_WRITE:
		if (!changed)
			break;
		if (strcmp(path, "-") == 0) {
			fwrite(fixed, 1, out.len, stdout);
			break;
		}
		{
			struct stat sb;
			if (stat(path, &sb) != 0) {
				cli_error("cannot stat '%s': %s", path, strerror(errno));
				r->error = true;
				break;
			}
			if (r->backup) {
				struct kup_buf orig = KUP_BUF_INIT;
				kup_buf_adds(&orig, path);
				kup_buf_adds(&orig, ".orig");
				bool ok = !orig.oom && atomic_write(orig.buf, text, len, sb.st_mode);
				kup_buf_release(&orig);
				if (!ok) {
					r->error = true;
					break;
				}
			}
			if (!atomic_write(path, fixed, out.len, sb.st_mode))
				r->error = true;
		}
		break;
	}
done:
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

static void walk_error(void *ctx, const char *path, int errnum)
{
	struct run *r = ctx;

	cli_error("cannot read '%s': %s", path, strerror(errnum));
	r->error = true;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void fix_dir(struct run *r, const char *dir)
{
	struct kup_walk w = { walk_file, walk_chart, walk_error, r };

	if (kup_walk_dir(dir, &w) != KUP_OK) {
		cli_error("out of memory walking '%s'", dir);
		r->error = true;
	}
}

int cmd_fix(int argc, char **argv)
{
	enum { OPT_TO = 256, OPT_DIFF, OPT_WRITE, OPT_BACKUP, OPT_STDOUT, OPT_KB, OPT_HELM };
	static const struct option longopts[] = {
		{ "to", required_argument, NULL, OPT_TO },
		{ "diff", no_argument, NULL, OPT_DIFF },
		{ "write", no_argument, NULL, OPT_WRITE },
		{ "backup", no_argument, NULL, OPT_BACKUP },
		{ "stdout", no_argument, NULL, OPT_STDOUT },
		{ "kb", required_argument, NULL, OPT_KB },
		{ "helm-release", required_argument, NULL, OPT_HELM },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *to = NULL, *kb_dir = NULL;
	const char **helm = NULL;
	size_t nhelm = 0, helm_cap = 0;
	struct run r;
	memset(&r, 0, sizeof r);
	int nmodes = 0, c, rc = KUP_EXIT_OK;
	bool usage_error = false;
	struct kup_kb *kb = NULL;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_TO: to = optarg; break;
		case OPT_DIFF: r.mode = MODE_DIFF; nmodes++; break;
		case OPT_WRITE: r.mode = MODE_WRITE; nmodes++; break;
		case OPT_STDOUT: r.mode = MODE_STDOUT; nmodes++; break;
		case OPT_BACKUP: r.backup = true; break;
		case OPT_KB: kb_dir = optarg; break;
		case OPT_HELM:
			if (!kup_grow(&helm, &helm_cap, nhelm + 1, sizeof *helm, 4)) {
				cli_error("out of memory");
				return KUP_EXIT_ERROR;
			}
			helm[nhelm++] = optarg;
			break;
		case 'h':
			fix_usage(stdout);
			free(helm);
			return KUP_EXIT_OK;
		default:
			usage_error = true;
			break;
		}
	}
	if (!usage_error && nmodes > 1) {
		cli_error("--diff, --write and --stdout exclude each other");
		usage_error = true;
	}
	if (!usage_error && r.backup && r.mode != MODE_WRITE) {
		cli_error("--backup needs --write");
		usage_error = true;
	}
	if (!usage_error && optind >= argc && nhelm == 0 && isatty(STDIN_FILENO)) {
		cli_error("no input: name files or directories, or '-' for stdin");
		usage_error = true;
	}
	if (usage_error) {
		fix_usage(stderr);
		free(helm);
		return KUP_EXIT_ERROR;
	}
	kb = cli_load_kb(kb_dir);
	if (!kb) {
		free(helm);
		return KUP_EXIT_ERROR;
	}
	kup_fix_opts_init(&r.opts, kb);
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
	if (optind >= argc && nhelm == 0)
		fix_one(&r, "-", false);
	for (int i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0 && is_dir(argv[i]))
			fix_dir(&r, argv[i]);
		else
			fix_one(&r, argv[i], false);
	}
	for (size_t i = 0; i < nhelm; i++)
		fix_one(&r, helm[i], true);
	fflush(stdout);
	if (ferror(stdout)) {
		cli_error("cannot write the standard output");
		r.error = true;
	}
	rc = r.error ? KUP_EXIT_ERROR : r.unfixable_removed ? KUP_EXIT_REMOVED : KUP_EXIT_OK;
out:
	kup_kb_free(kb);
	free(helm);
	return rc;
}
