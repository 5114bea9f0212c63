/*
 * table.c - the default, human format: kubectl-style columns (upper-case
 * headers, aligned with spaces, no borders) and a summary line; input errors are
 * only counted (the CLI prints them on standard error).
 *
 * Every cell goes through kup_text_sanitize() so that a hostile manifest
 * cannot write escape sequences to the user's terminal.  Widths count code
 * points, not bytes; colour codes are added after alignment.
 */
#include <stdlib.h>
#include <string.h>

#include "report/report_int.h"

#define NCOLS 8
static const char *const headers[NCOLS] = {
	"STATUS", "KIND", "NAMESPACE", "NAME", "API-VERSION", "REPLACEMENT", "REMOVED-IN", "SOURCE",
};

#define SGR_RED "\033[31m"
#define SGR_YELLOW "\033[33m"
#define SGR_CYAN "\033[36m"
#define SGR_RESET "\033[0m"

static size_t visible_width(const char *s, size_t n)
{
	size_t i, w = 0;

	/* cells are valid UTF-8 after sanitising: count the non-continuation bytes */
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			w++;
	return w;
}

/* Appends one sanitised cell to `cells`, recording where it ends. */
static void cell(struct kup_buf *cells, size_t *end, const char *s)
{
	kup_text_sanitize(cells, s && *s ? s : "-");
	*end = cells->len;
}

static void fill_row(struct kup_buf *cells, size_t *ends, const struct kup_finding *f)
{
	cell(cells, &ends[0], kup_finding_label(f));
	cell(cells, &ends[1], f->kind);
	cell(cells, &ends[2], f->namespace_);
	cell(cells, &ends[3], f->name);
	cell(cells, &ends[4], f->api_version);
	if (f->replacement && f->replacement_kind) {
		kup_text_sanitize(cells, f->replacement);
		kup_buf_addc(cells, ' ');
		kup_text_sanitize(cells, f->replacement_kind);
		ends[5] = cells->len;
	} else {
		cell(cells, &ends[5], f->replacement);
	}
	cell(cells, &ends[6], f->removed_in);
	kup_source_label(cells, &f->src);
	ends[7] = cells->len;
}

static const char *status_color(enum kup_finding_status s)
{
	switch (kup_finding_severity(s)) {
	case KUP_FAIL_REMOVED: return SGR_RED;
	case KUP_FAIL_DEPRECATED: return SGR_YELLOW;
	default: return SGR_CYAN;
	}
}

static void pad(struct kup_buf *out, size_t n)
{
	while (n--)
		kup_buf_addc(out, ' ');
}

static void render_rows(const struct kup_report *r, struct kup_buf *out)
{
	struct kup_buf cells = KUP_BUF_INIT;
	size_t *ends, widths[NCOLS], i, c, start;

	ends = kup_xrealloc_array(NULL, r->nfindings ? r->nfindings : 1, sizeof(*ends) * NCOLS);
	if (!ends) {
		out->oom = true;
		return;
	}
	kup_buf_init(&cells);
	for (c = 0; c < NCOLS; c++)
		widths[c] = strlen(headers[c]);
	for (i = 0; i < r->nfindings; i++) {
		size_t *e = &ends[i * NCOLS];

		start = cells.len;
		fill_row(&cells, e, r->findings[i]);
		for (c = 0; c < NCOLS; c++) {
			size_t w = visible_width(cells.buf + start, e[c] - start);

			if (w > widths[c])
				widths[c] = w;
			start = e[c];
		}
	}
	if (cells.oom) {
		out->oom = true;
		goto out;
	}

	for (c = 0; c < NCOLS; c++) {
		kup_buf_adds(out, headers[c]);
		if (c + 1 < NCOLS)
			pad(out, widths[c] - strlen(headers[c]) + 3);
	}
	kup_buf_addc(out, '\n');

	start = 0;
	for (i = 0; i < r->nfindings; i++) {
		const size_t *e = &ends[i * NCOLS];

		for (c = 0; c < NCOLS; c++) {
			const char *s = cells.buf + start;
			size_t n = e[c] - start, w = visible_width(s, n);

			if (c == 0 && r->color)
				kup_buf_adds(out, status_color(r->findings[i]->status));
			kup_buf_add(out, s, n);
			if (c == 0 && r->color)
				kup_buf_adds(out, SGR_RESET);
			if (c + 1 < NCOLS)
				pad(out, widths[c] - w + 3);
			start = e[c];
		}
		kup_buf_addc(out, '\n');
	}
out:
	free(ends);
	kup_buf_release(&cells);
}

/* s sanitised, then padded with spaces to `width` code points. */
static void padded(struct kup_buf *out, const char *s, size_t width)
{
	size_t start = out->len, w;

	kup_text_sanitize(out, s ? s : "");
	w = visible_width(out->buf ? out->buf + start : "", out->len - start);
	if (w < width)
		pad(out, width - w);
}

/*
 * One section per family of items: a title with the count, then one line
 * per item ("blocking  pdb-blocking            PodDisruptionBudget shop/web:
 * message") and its detail indented below.
 */
void kup_render_table_items(const struct kup_report *r, struct kup_buf *out)
{
	struct kup_buf label = KUP_BUF_INIT;
	size_t i, n;
	int fam;

	kup_buf_init(&label);
	for (fam = 0; fam < KUP_ITEM_NFAMILIES; fam++) {
		if (!kup_report_shows(r, (enum kup_item_family)fam))
			continue;
		for (i = 0, n = 0; i < r->nitems; i++)
			n += r->items[i].family == (enum kup_item_family)fam;
		kup_buf_addf(out, "\n%s: %zu finding%s\n",
			     kup_item_family_title((enum kup_item_family)fam), n, n == 1 ? "" : "s");
		for (i = 0; i < r->nitems; i++) {
			const struct kup_report_item *it = &r->items[i];

			if (it->family != (enum kup_item_family)fam)
				continue;
			if (r->color)
				kup_buf_adds(out, it->severity == KUP_FAIL_REMOVED ? SGR_RED
						  : it->severity == KUP_FAIL_DEPRECATED ? SGR_YELLOW
											: SGR_CYAN);
			padded(out, kup_item_severity_name(it->severity), 0);
			if (r->color)
				kup_buf_adds(out, SGR_RESET);
			pad(out, 8 - strlen(kup_item_severity_name(it->severity)) + 2);
			padded(out, it->rule_id, 22);
			kup_buf_adds(out, "  ");
			kup_buf_reset(&label);
			kup_item_object_label(&label, it);
			kup_text_sanitize(out, label.buf);
			kup_buf_adds(out, ": ");
			kup_text_sanitize(out, it->message);
			kup_buf_addc(out, '\n');
			if (it->detail) {
				kup_buf_adds(out, "          ");
				kup_text_sanitize(out, it->detail);
				kup_buf_addc(out, '\n');
			}
			if (it->remedy) {
				kup_buf_adds(out, "          remedy: ");
				kup_text_sanitize(out, it->remedy);
				kup_buf_addc(out, '\n');
			}
		}
	}
	if (label.oom)
		out->oom = true;
	kup_buf_release(&label);
}

void kup_render_table(const struct kup_report *r, struct kup_buf *out)
{
	if (r->items_only && r->nfindings == 0) {
		if (r->target_version) {
			kup_buf_adds(out, "Target ");
			kup_text_sanitize(out, r->target_version);
			kup_buf_addf(out, ", %zu file%s.\n", r->summary.files,
				     r->summary.files == 1 ? "" : "s");
		}
	} else if (r->nfindings == 0) {
		kup_buf_adds(out, "No deprecated or removed APIs found");
		if (r->target_version) {
			kup_buf_adds(out, " for target ");
			kup_text_sanitize(out, r->target_version);
		}
		kup_buf_adds(out, ".\n");
	} else {
		render_rows(r, out);
		kup_buf_addc(out, '\n');
		kup_summary_line(out, r);
		kup_buf_addc(out, '\n');
	}
	if (r->summary.ignored)
		kup_buf_addf(out, "%zu finding%s ignored%s\n", r->summary.ignored,
			     r->summary.ignored == 1 ? "" : "s",
			     r->summary.ignored_listed ? " (listed as ignored)" : ": use --show-ignored");
	if (r->summary.undecided)
		kup_buf_addf(out, "%zu templated apiVersion%s not judged%s\n", r->summary.undecided,
			     r->summary.undecided == 1 ? "" : "s",
			     r->summary.undecided_listed ? " (listed as undecided)" : ": use --show-undecided");
	/* Input errors go to standard error (the CLI prints them); the table only counts them. */
	if (r->nerrors && r->nfindings == 0)
		kup_buf_addf(out, "%zu input error%s (see standard error).\n", r->nerrors,
			     r->nerrors == 1 ? "" : "s");
	kup_render_table_items(r, out);
}
