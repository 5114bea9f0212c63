/*
 * plan_runbook.c - a plan as a runbook people follow, in Markdown or as one
 * self-contained HTML page (inline style, no external resource, every
 * value escaped).
 *
 * Sections: verdict, blockers and risks (the report model's section), pre-upgrade checklist (staging
 * first, backups, scans clean, PDB and skew checks, the steps before the
 * first hop), one section per control-plane hop (Phase I: control plane,
 * managed add-ons, CoreDNS, kube-proxy; Phase II: node pools with surge and
 * drain settings; then what prepares the next hop), post-upgrade (charts
 * held back, verification).  One writer produces both formats.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "kupgrade/kbrules.h"
#include "plan/plan_int.h"

struct doc {
	struct kup_buf *out;
	bool html;
	bool in_list;
};

/*
 * Markdown: backslash the characters that would start markup or break a
 * table (backticks stay: a code span cannot inject anything, and the
 * reasons quote commands that way).
 */
static void md_escape(struct kup_buf *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (strchr("\\*_[]<>|", c))
			kup_buf_addc(out, '\\');
		if (c == '\n' || c == '\r' || c == '\t')
			c = ' ';
		if (c < 0x20 || c == 0x7f)
			kup_buf_addf(out, "\\x%02x", c);
		else
			kup_buf_addc(out, (char)c);
	}
}

/* The n bytes at s (n SIZE_MAX: up to the NUL) as HTML text. */
static void html_escape_n(struct kup_buf *out, const char *s, size_t n)
{
	for (; s && n && *s; s++, n--) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&': kup_buf_adds(out, "&amp;"); break;
		case '<': kup_buf_adds(out, "&lt;"); break;
		case '>': kup_buf_adds(out, "&gt;"); break;
		case '"': kup_buf_adds(out, "&quot;"); break;
		case '\'': kup_buf_adds(out, "&#39;"); break;
		default:
			if (c < 0x20 || c == 0x7f)
				kup_buf_addc(out, ' ');
			else
				kup_buf_addc(out, (char)c);
		}
	}
}

static void html_escape(struct kup_buf *out, const char *s)
{
	html_escape_n(out, s, SIZE_MAX);
}

/*
 * HTML text: escaped, and a `code span` (as the reasons and mitigations
 * write commands) rendered as <code>; a lone backtick stays a backtick.
 */
static void html_text(struct kup_buf *out, const char *s)
{
	while (s && *s) {
		const char *open = strchr(s, '`'), *close = open ? strchr(open + 1, '`') : NULL;

		if (!open || !close) {
			html_escape(out, s);
			return;
		}
		html_escape_n(out, s, (size_t)(open - s));
		kup_buf_adds(out, "<code>");
		html_escape_n(out, open + 1, (size_t)(close - open - 1));
		kup_buf_adds(out, "</code>");
		s = close + 1;
	}
}

/* Escaped text in the document's format. */
static void t(struct doc *d, const char *s)
{
	if (d->html)
		html_text(d->out, s);
	else
		md_escape(d->out, s);
}

/* Inline code. */
static void code(struct doc *d, const char *s)
{
	if (d->html) {
		kup_buf_adds(d->out, "<code>");
		html_escape(d->out, s);
		kup_buf_adds(d->out, "</code>");
	} else {
		/* backticks inside are not expected in commands we write */
		kup_buf_addc(d->out, '`');
		for (; s && *s; s++)
			kup_buf_addc(d->out, *s == '`' || *s == '\n' ? '\'' : *s);
		kup_buf_addc(d->out, '`');
	}
}

static void strong_open(struct doc *d)
{
	kup_buf_adds(d->out, d->html ? "<strong>" : "**");
}

static void strong_close(struct doc *d)
{
	kup_buf_adds(d->out, d->html ? "</strong>" : "**");
}

static void end_list(struct doc *d)
{
	if (!d->in_list)
		return;
	kup_buf_adds(d->out, d->html ? "</ul>\n" : "\n");
	d->in_list = false;
}

static void heading(struct doc *d, int level, const char *text, const char *extra)
{
	end_list(d);
	if (d->html) {
		kup_buf_addf(d->out, "<h%d>", level);
		t(d, text);
		if (extra)
			t(d, extra);
		kup_buf_addf(d->out, "</h%d>\n", level);
	} else {
		kup_buf_addf(d->out, "%.*s ", level, "######");
		t(d, text);
		if (extra)
			t(d, extra);
		kup_buf_adds(d->out, "\n\n");
	}
}

/* Opens a checklist item; the caller writes its content and calls item_end. */
static void item(struct doc *d)
{
	if (!d->in_list) {
		if (d->html)
			kup_buf_adds(d->out, "<ul class=\"check\">\n");
		d->in_list = true;
	}
	kup_buf_adds(d->out, d->html ? "<li><label><input type=\"checkbox\"> " : "- [ ] ");
}

static void item_end(struct doc *d)
{
	kup_buf_adds(d->out, d->html ? "</label></li>\n" : "\n");
}

static void para_open(struct doc *d)
{
	end_list(d);
	if (d->html)
		kup_buf_adds(d->out, "<p>");
}

static void para_close(struct doc *d)
{
	kup_buf_adds(d->out, d->html ? "</p>\n" : "\n\n");
}

/* A checklist item of plain text. */
static void item_text(struct doc *d, const char *s)
{
	item(d);
	t(d, s);
	item_end(d);
}

/* ---- settings that depend on the provider --------------------------------- */

static void count_text(struct kup_buf *out, const char *field, const char *dflt,
		       const struct kup_node_count *c)
{
	kup_buf_addf(out, "%s %d%s", field ? field : dflt, c->value, c->pct ? "%" : "");
}

/*
 * The surge and drain settings of a node pool roll: the provider's default
 * node pool upgrade from the knowledge base (the same row parametrises the
 * rollout simulator's policy); without one (kubeadm, generic: pools the
 * user drains), kupgrade's own one-at-a-time advice.
 */
static void surge_text(struct doc *d, const struct kup_pool_upgrade *u, const char *provider,
		       int control_plane)
{
	struct kup_buf b = KUP_BUF_INIT;
	size_t i;

	if (!u && control_plane) {
		/* kubeadm upgrades control-plane nodes where they are: no node is added */
		t(d, "In place, one control-plane node at a time (the others keep etcd's quorum); "
		     "drain: respecting PDBs");
		return;
	}
	if (!u) {
		t(d, "One node at a time: drain (respecting PDBs), upgrade, uncordon; the other "
		     "nodes must have room for one node's pods (add a node first if they have not)");
		return;
	}
	kup_buf_adds(&b, "surge: ");
	if (u->max_surge.set)
		count_text(&b, u->surge_field, "maxSurge", &u->max_surge);
	if (u->max_surge.set && u->max_unavailable.set)
		kup_buf_adds(&b, ", ");
	if (u->max_unavailable.set)
		count_text(&b, u->unavailable_field, "maxUnavailable", &u->max_unavailable);
	kup_buf_adds(&b, " (");
	for (i = 0; provider && provider[i]; i++)
		kup_buf_addf(&b, "%c", provider[i] >= 'a' && provider[i] <= 'z'
			     ? provider[i] - 'a' + 'A' : provider[i]);
	kup_buf_addf(&b, " default: %s", u->strategy);
	if (u->parallel_cap)
		kup_buf_addf(&b, "; at most %d nodes at once", u->parallel_cap);
	if (u->note)
		kup_buf_addf(&b, "; %s", u->note);
	kup_buf_adds(&b, ")");
	if (u->advice)
		kup_buf_addf(&b, "; %s", u->advice);
	kup_buf_adds(&b, "; drain: ");
	if (u->drain_timeout > 0) {
		kup_buf_addf(&b, "PodDisruptionBudgets respected up to %.0f minutes per node, then ",
			     u->drain_timeout / 60);
		if (u->on_timeout_force)
			kup_buf_adds(&b, "the pods are deleted");
		else if (u->timeout_error)
			kup_buf_addf(&b, "the upgrade fails (%s)", u->timeout_error);
		else
			kup_buf_adds(&b, "the upgrade fails");
	} else {
		kup_buf_adds(&b, "PodDisruptionBudgets respected, no time limit");
	}
	if (b.oom)
		d->out->oom = true;
	else
		t(d, b.buf);
	kup_buf_release(&b);
}

/* A nodepool step's setting tuned by simulation (rollout tune) and its commands. */
static void tuned_item(struct doc *d, const struct kup_plan_tuned *tu)
{
	struct kup_buf b = KUP_BUF_INIT;
	size_t i;

	kup_plan_tuned_text(&b, tu);
	kup_buf_adds(d->out, ". ");
	if (b.oom)
		d->out->oom = true;
	else {
		b.buf[0] = (char)(b.buf[0] - 'a' + 'A');   /* "tuned ..." starts the sentence */
		t(d, b.buf);
	}
	kup_buf_release(&b);
	for (i = 0; i < tu->ncommands; i++) {
		kup_buf_adds(d->out, i ? ", " : ". Tuned command: ");
		code(d, tu->commands[i]);
	}
}

static void step_item(struct doc *d, const struct kup_plan *plan, size_t i)
{
	const struct kup_plan_full *full = kup_plan_full_c(plan);
	const struct kup_plan_step *s = &plan->steps[i];

	item(d);
	kup_buf_addf(d->out, "%u. ", s->order);
	strong_open(d);
	t(d, s->component);
	strong_close(d);
	kup_buf_adds(d->out, " ");
	t(d, s->from);
	kup_buf_adds(d->out, d->html ? " &rarr; " : " → ");
	t(d, s->to);
	kup_buf_adds(d->out, " (");
	t(d, kup_step_type_name(s->type));
	kup_buf_adds(d->out, "): ");
	t(d, s->reason);
	if (s->type == KUP_STEP_NODEPOOL) {
		const char *name = s->component + (strncmp(s->component, "nodepool/", 9) ? 0 : 9);
		size_t j;
		char cmd[256];

		for (j = 0; j < full->npools; j++)
			if (full->pools[j].name && !strcmp(full->pools[j].name, name))
				break;
		if (j < full->npools && full->pools[j].count) {
			kup_buf_addf(d->out, ". %u nodes", full->pools[j].count);
			if (full->pools[j].nzones)
				kup_buf_addf(d->out, " in %zu zones", full->pools[j].nzones);
		}
		kup_buf_adds(d->out, ". ");
		surge_text(d, full->pool_upgrade, full->provider, !strcmp(name, "control-plane"));
		if (s->command) {
			kup_buf_adds(d->out, ". Command: ");
			code(d, s->command);
		} else {
			kup_buf_adds(d->out, ". Self-managed: ");
			snprintf(cmd, sizeof(cmd), "kubectl drain NODE --ignore-daemonsets "
				 "--delete-emptydir-data --timeout=15m");
			code(d, cmd);
			{
				/* kubeadm / self-managed: kupgrade drains, upgrades and uncordons in place */
				struct kup_buf b = KUP_BUF_INIT;
				kup_buf_addf(&b, "kupgrade rollout run --context CTX --pool %s --to %s --provider "
					     "exec --upgrade 'CMD {node} {version}' --max-unavailable 1", name,
					     plan->to ? plan->to : "");
				kup_buf_adds(d->out, "; in place, node by node: ");
				if (b.oom)
					d->out->oom = true;
				else
					code(d, b.buf);
				kup_buf_release(&b);
			}
		}
		if (s->tuned)
			tuned_item(d, s->tuned);
	} else if (s->command) {
		kup_buf_adds(d->out, ". Command: ");
		code(d, s->command);
	} else if (s->type == KUP_STEP_MANIFESTS) {
		char cmd[160];

		snprintf(cmd, sizeof(cmd), "kupgrade fix --to %s", plan->to ? plan->to : "");
		kup_buf_adds(d->out, ". Rewrite: ");
		code(d, cmd);
	}
	item_end(d);
}

/*
 * The path as a picture (HTML): one row per component, one column per
 * control-plane version the path passes through (today first), each cell
 * the version the component has when that stage ends; a cell where a step
 * changes it is highlighted.  An SVG, so it prints and needs nothing else.
 */
#define PATH_MAX_COLS 24
#define PATH_MAX_ROWS 48

static void path_picture(struct doc *d, const struct kup_plan *plan)
{
	struct kup_version cols[PATH_MAX_COLS];
	const char *col_text[PATH_MAX_COLS];
	const char *rows[PATH_MAX_ROWS];
	const char *cell[PATH_MAX_ROWS][PATH_MAX_COLS + 1];
	bool changed[PATH_MAX_ROWS][PATH_MAX_COLS + 1];
	struct kup_error err = KUP_ERROR_INIT;
	size_t ncols = 0, nrows = 0, i, r, c;
	int cw = 150, lw = 170, rh = 22, w, h;
	char vb[32];

	if (!plan->nsteps || kup_version_parse(plan->from, &cols[0], &err) != KUP_OK) {
		kup_error_release(&err);
		return;
	}
	col_text[ncols++] = plan->from;
	for (i = 0; i < plan->nsteps && ncols < PATH_MAX_COLS; i++) {
		const struct kup_plan_step *st = &plan->steps[i];
		if (st->type == KUP_STEP_CONTROL_PLANE && st->to &&
		    kup_version_parse(st->to, &cols[ncols], &err) == KUP_OK)
			col_text[ncols++] = st->to;
		kup_error_release(&err);
	}
	memset(cell, 0, sizeof(cell));
	memset(changed, 0, sizeof(changed));
	for (i = 0; i < plan->nsteps; i++) {
		const struct kup_plan_step *st = &plan->steps[i];
		if (st->type == KUP_STEP_MANIFESTS || !st->component)
			continue;
		for (r = 0; r < nrows; r++)
			if (!strcmp(rows[r], st->component))
				break;
		if (r == nrows) {
			if (nrows == PATH_MAX_ROWS)
				continue;
			rows[nrows++] = st->component;
			cell[r][0] = st->from;     /* today */
		}
		/* the stage the step runs in: the column of its control-plane version */
		c = 0;
		if (st->type == KUP_STEP_CONTROL_PLANE) {
			for (c = 1; c < ncols && strcmp(col_text[c], st->to ? st->to : ""); c++)
				;
		} else {
			for (size_t k = 0; k < ncols; k++)
				if (kup_version_cmp_minor(&cols[k], &st->cp_at) == 0)
					c = k;
		}
		if (c >= ncols)
			continue;
		cell[r][c + 1] = st->to;
		changed[r][c + 1] = true;
	}
	if (!nrows)
		return;
	/* carry each version forward through the stages that do not change it */
	for (r = 0; r < nrows; r++)
		for (c = 1; c <= ncols; c++)
			if (!cell[r][c])
				cell[r][c] = cell[r][c - 1];

	w = lw + cw * (int)(ncols + 1) + 4;
	h = rh * (int)(nrows + 1) + 4;
	heading(d, 2, "The path", NULL);
	kup_buf_addf(d->out, "<figure class=\"path\"><svg role=\"img\" aria-label=\"each component's "
		     "version along the path\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		     "xmlns=\"http://www.w3.org/2000/svg\" font-family=\"system-ui,sans-serif\" "
		     "font-size=\"12\">\n", w, h, w, h);
	for (c = 0; c <= ncols; c++) {
		kup_buf_addf(d->out, "<text x=\"%d\" y=\"15\" font-weight=\"bold\">",
			     lw + cw * (int)c + 4);
		if (c == 0)
			kup_buf_adds(d->out, "today");
		else
			kup_buf_addf(d->out, "at %s", kup_version_minor_str(&cols[c - 1], vb, sizeof(vb)));
		kup_buf_adds(d->out, "</text>\n");
	}
	for (r = 0; r < nrows; r++) {
		int y = rh * (int)(r + 1) + 2;
		kup_buf_addf(d->out, "<text class=\"comp\" x=\"2\" y=\"%d\">", y + 15);
		html_escape(d->out, rows[r]);
		kup_buf_adds(d->out, "</text>\n");
		for (c = 0; c <= ncols; c++) {
			int x = lw + cw * (int)c;
			kup_buf_addf(d->out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"3\" "
				     "fill=\"%s\" stroke=\"#d0d7de\"%s/>", x + 1, y + 1, cw - 4, rh - 3,
				     changed[r][c] ? "#dbeafe" : "#f6f8fa",
				     changed[r][c] ? " class=\"step\"" : "");
			kup_buf_addf(d->out, "<text x=\"%d\" y=\"%d\"%s><title>", x + 6, y + 15,
				     changed[r][c] ? " font-weight=\"bold\"" : "");
			html_escape(d->out, cell[r][c] ? cell[r][c] : "");
			kup_buf_adds(d->out, "</title>");
			/* what fits the cell; the whole version is the title */
			if (cell[r][c] && strlen(cell[r][c]) > 19) {
				char cut[24];
				snprintf(cut, sizeof(cut), "%.17s", cell[r][c]);
				html_escape(d->out, cut);
				kup_buf_adds(d->out, "&#8230;");
			} else {
				html_escape(d->out, cell[r][c] ? cell[r][c] : "");
			}
			kup_buf_adds(d->out, "</text>\n");
		}
	}
	kup_buf_adds(d->out, "</svg><figcaption>Each component's version when each stage ends; "
		     "highlighted where a step changes it.</figcaption></figure>\n");
}

static void runbook(struct doc *d, const struct kup_plan *plan)
{
	const struct kup_plan_full *full = kup_plan_full_c(plan);
	char line[512];
	size_t i;
	int hop, last = (int)full->hops;

	kup_buf_adds(d->out, d->html ? "<h1>" : "# ");
	t(d, "Upgrade runbook: ");
	t(d, plan->cluster);
	kup_buf_adds(d->out, ", ");
	t(d, plan->from);
	kup_buf_adds(d->out, d->html ? " &rarr; " : " → ");
	t(d, plan->to);
	kup_buf_adds(d->out, d->html ? "</h1>\n" : "\n\n");

	para_open(d);
	strong_open(d);
	kup_buf_adds(d->out, "Verdict: ");
	if (d->html)
		kup_buf_addf(d->out, "<span class=\"verdict v-%s\">",
			     plan->verdict == KUP_VERDICT_BLOCKED ? "blocked" :
			     plan->verdict == KUP_VERDICT_READY ? "ready" : "warnings");
	t(d, kup_verdict_name(plan->verdict));
	if (d->html)
		kup_buf_adds(d->out, "</span>");
	strong_close(d);
	kup_buf_addf(d->out, " (exit %d). %u control-plane hop%s, %u node-pool roll%s, %zu step%s; "
		     "provider ", kup_plan_exit_code(plan), full->hops, full->hops == 1 ? "" : "s",
		     plan->node_rolls, plan->node_rolls == 1 ? "" : "s", plan->nsteps,
		     plan->nsteps == 1 ? "" : "s");
	t(d, full->provider);
	kup_buf_adds(d->out, ".");
	para_close(d);

	if (d->html)
		path_picture(d, plan);
	/* blockers and risks: the report model's section, as in every other format */
	end_list(d);
	kup_plan_render_findings(plan, d->html ? KUP_FMT_HTML : KUP_FMT_MARKDOWN, d->out);
	if (!d->html && (plan->nblockers || plan->nrisks))
		kup_buf_addc(d->out, '\n');
	if (plan->nwarnings) {
		heading(d, 2, "Warnings", NULL);
		for (i = 0; i < plan->nwarnings; i++)
			item_text(d, plan->warnings[i]);
	}

	if (last == 0) {
		/* already at the target: what is still worth doing, nothing else */
		heading(d, 2, "Already at the target", NULL);
		for (i = 0; i < plan->nsteps; i++)
			step_item(d, plan, i);
		for (i = 0; i < full->nheld; i++) {
			item(d);
			t(d, "Held back: ");
			t(d, full->held[i]);
			item_end(d);
		}
		if (!plan->nsteps && !full->nheld)
			item_text(d, "No step: the control plane and the node pools are at the target "
				  "(the warnings above, if any, are what is still worth doing)");
		end_list(d);
		return;
	}

	heading(d, 2, "Pre-upgrade", NULL);
	snprintf(line, sizeof(line), "Staging first: rehearse this runbook on a staging cluster "
		 "with the same versions and add-ons (%s to %s) and keep its notes",
		 plan->from ? plan->from : "", plan->to ? plan->to : "");
	item_text(d, line);
	item(d);
	if (full->managed) {
		t(d, "Backups: back up the cluster's resources and volumes (e.g. ");
		code(d, "velero backup create pre-upgrade");
		t(d, "); the provider keeps etcd, but a resource backup is what you can restore");
	} else {
		t(d, "Backups: take an etcd snapshot (");
		code(d, "etcdctl snapshot save pre-upgrade.db");
		t(d, ") and a resource backup, stored off the cluster");
	}
	item_end(d);
	item(d);
	t(d, "Scans clean: ");
	snprintf(line, sizeof(line), "kupgrade scan MANIFESTS... --to %s", plan->to ? plan->to : "");
	code(d, line);
	t(d, " finds no removed API (run it again after the migrations below)");
	item_end(d);
	item(d);
	t(d, "PodDisruptionBudgets: ");
	code(d, "kubectl get pdb -A");
	t(d, " shows no budget with ALLOWED DISRUPTIONS 0, or drains stop");
	item_end(d);
	if (full->plan_cmd) {
		item(d);
		t(d, "Provider check: ");
		code(d, full->plan_cmd);
		t(d, " agrees with the first hop (it lists the target patches and what it refuses)");
		item_end(d);
	}
	item(d);
	t(d, "Version skew: ");
	code(d, "kubectl get nodes -o wide");
	t(d, " shows every kubelet within the skew policy of the control plane, none newer");
	item_end(d);
	for (i = 0; i < plan->nsteps; i++)
		if (full->step_hop[i] == 0 && (full->step_phase[i] != KUP_PH_CP))
			step_item(d, plan, i);

	for (hop = 1; hop <= last; hop++) {
		const char *from = NULL, *to = NULL;
		bool any;

		for (i = 0; i < plan->nsteps; i++)
			if (full->step_hop[i] == hop && full->step_phase[i] == KUP_PH_CP) {
				from = plan->steps[i].from;
				to = plan->steps[i].to;
			}
		snprintf(line, sizeof(line), "Hop %d: %s to %s", hop, from ? from : "?", to ? to : "?");
		heading(d, 2, line, NULL);
		heading(d, 3, "Phase I: control plane and managed add-ons (CoreDNS, kube-proxy)", NULL);
		for (i = 0; i < plan->nsteps; i++)
			if (full->step_hop[i] == hop && (full->step_phase[i] == KUP_PH_CP ||
							 full->step_phase[i] == KUP_PH_MANAGED))
				step_item(d, plan, i);
		item(d);
		t(d, "Check: ");
		code(d, "kubectl version");
		t(d, " reports the new server version and ");
		code(d, "kubectl get pods -n kube-system");
		t(d, " is healthy");
		item_end(d);
		heading(d, 3, "Phase II: node pools", NULL);
		any = false;
		for (i = 0; i < plan->nsteps; i++)
			if (full->step_hop[i] == hop && full->step_phase[i] == KUP_PH_POOL) {
				step_item(d, plan, i);
				any = true;
			}
		if (!any)
			item_text(d, "No node pool rolls at this hop: the kubelets stay within the skew "
				  "policy");
		if (hop < last) {
			any = false;
			for (i = 0; i < plan->nsteps; i++)
				if (full->step_hop[i] == hop && full->step_phase[i] >= KUP_PH_ADDON)
					any = true;
			if (any) {
				heading(d, 3, "Before the next hop", NULL);
				for (i = 0; i < plan->nsteps; i++)
					if (full->step_hop[i] == hop &&
					    full->step_phase[i] >= KUP_PH_ADDON)
						step_item(d, plan, i);
			}
		}
	}

	heading(d, 2, "Post-upgrade", NULL);
	for (i = 0; i < plan->nsteps; i++)
		if (last > 0 && full->step_hop[i] == last && full->step_phase[i] >= KUP_PH_ADDON)
			step_item(d, plan, i);
	for (i = 0; i < full->nheld; i++) {
		item(d);
		t(d, "Held back: ");
		t(d, full->held[i]);
		item_end(d);
	}
	if (full->node_image_cmd) {
		item(d);
		t(d, "Node images: the pools' node images have their own releases (");
		code(d, full->node_image_cmd);
		t(d, " for each pool)");
		item_end(d);
	}
	item(d);
	t(d, "Charts held back: ");
	code(d, "helm list -A");
	t(d, "; upgrade the charts that could not move during the hops (kubeVersion or pinned "
	     "appVersion) now, or schedule them");
	item_end(d);
	item(d);
	t(d, "Verify: ");
	code(d, "kubectl get nodes");
	snprintf(line, sizeof(line), " shows every node at %s (unless kept back on purpose), ",
		 plan->to ? plan->to : "");
	t(d, line);
	code(d, "kubectl get pods -A --field-selector=status.phase!=Running");
	t(d, " lists nothing unexpected, and ");
	snprintf(line, sizeof(line), "kupgrade plan PROFILE --to %s", plan->to ? plan->to : "");
	code(d, line);
	t(d, " has no steps left");
	item_end(d);
	end_list(d);
}

void kup_plan_render_markdown(const struct kup_plan *plan, struct kup_buf *out)
{
	struct doc d = { out, false, false };

	runbook(&d, plan);
}

void kup_plan_render_html(const struct kup_plan *plan, struct kup_buf *out)
{
	struct doc d = { out, true, false };

	kup_buf_adds(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		     "<title>Upgrade runbook: ");
	html_escape(out, plan->cluster);
	kup_buf_adds(out, "</title>\n<style>\n"
		     "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;"
		     "padding:0 1rem;line-height:1.45;color:#1b1f24}\n"
		     "h1{font-size:1.6rem}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2rem}\n"
		     "ul.check{list-style:none;padding-left:0}ul.check li{margin:.35rem 0}\n"
		     "code{background:#f3f4f6;padding:0 .25rem;border-radius:3px}\n"
		     "table{border-collapse:collapse;font-size:.9rem;width:100%;table-layout:fixed}"
		     "td,th{border:1px solid #d0d7de;padding:.3rem;vertical-align:top;"
		     "overflow-wrap:anywhere}\n"
		     "th:nth-child(1),th:nth-child(2){width:5.5rem}\n"
		     ".verdict{padding:.1rem .45rem;border-radius:4px;color:#fff}"
		     ".v-blocked{background:#b42318}.v-ready{background:#067647}.v-warnings{background:#b54708}\n"
		     "figure.path{margin:1rem 0;overflow-x:auto}figcaption{font-size:.85rem;color:#57606a}\n"
		     ".sev-high{color:#b42318;font-weight:bold}.sev-medium{color:#b54708}\n"
		     "@media print{input{transform:scale(1.2)}}\n"
		     "</style>\n</head>\n<body>\n");
	runbook(&d, plan);
	kup_buf_adds(out, "</body>\n</html>\n");
}
