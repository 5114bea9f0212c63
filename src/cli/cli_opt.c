/* cli_opt.c - the option tables' parser and --help (cli_opt.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_opt.h"

/* ---- walking a table and the groups it includes ---------------------------------------- */

typedef bool (*opt_visit)(const struct cli_opt *o, void *ctx);

/* Calls fn on every option of `t` and its groups, in order, until fn returns true. */
static const struct cli_opt *opt_walk(const struct cli_opt *t, opt_visit fn, void *ctx)
{
	for (; t && t->id; t++) {
		if (t->arg == CLI_OPT_GROUP) {
			const struct cli_opt *r = opt_walk(t->group, fn, ctx);
			if (r)
				return r;
		} else if (fn(t, ctx)) {
			return t;
		}
	}
	return NULL;
}

struct name_match {
	const char *name;
	size_t len;
	const struct cli_opt *prefix;   /* the one option `name` is a prefix of */
	size_t nprefix;
};

static bool match_long(const struct cli_opt *o, void *ctx)
{
	struct name_match *m = ctx;

	if (!o->name || strncmp(o->name, m->name, m->len) != 0)
		return false;
	if (o->name[m->len] == '\0')
		return true;
	if (!m->prefix || m->prefix->id != o->id)
		m->nprefix++;
	m->prefix = o;
	return false;
}

static bool match_short(const struct cli_opt *o, void *ctx)
{
	return o->short_name && o->short_name == *(const char *)ctx;
}

struct names {
	const char **v;
	size_t n, cap;
};

static bool collect_name(const struct cli_opt *o, void *ctx)
{
	struct names *ns = ctx;

	if (o->name && ns->n < ns->cap)
		ns->v[ns->n++] = o->name;
	return false;
}

static bool count_opt(const struct cli_opt *o, void *ctx)
{
	(void)o;
	(*(size_t *)ctx)++;
	return false;
}

void cli_suggest_option(const char *arg, const char *const *names, size_t n)
{
	char word[64];
	const char *hint;
	size_t len;

	if (!arg || strncmp(arg, "--", 2) != 0)
		return;
	arg += 2;
	len = strcspn(arg, "=");
	if (len == 0 || len >= sizeof(word))
		return;
	memcpy(word, arg, len);
	word[len] = '\0';
	hint = kup_suggest(word, names, n);
	if (hint)
		fprintf(stderr, "%s: did you mean '--%s'?\n", kup_cli_name, hint);
}

static void suggest(const struct cli_cmd *cmd, const char *arg)
{
	struct names ns = { NULL, 0, 0 };

	opt_walk(cmd->opts, count_opt, &ns.cap);
	ns.v = calloc(ns.cap + 1, sizeof(*ns.v));
	if (!ns.v)
		return;
	opt_walk(cmd->opts, collect_name, &ns);
	cli_suggest_option(arg, ns.v, ns.n);
	free(ns.v);
}

/* ---- the parser ------------------------------------------------------------------------ */

void cli_parse_init(struct cli_parse *p, const struct cli_cmd *cmd, int argc, char **argv)
{
	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	p->next = 1;
	p->pos = argv + 1;
}

static void add_positional(struct cli_parse *p, char *a)
{
	/* the write index 1 + npos never passes the read index: argv is compacted in place */
	p->argv[1 + p->npos++] = a;
}

static bool is_option(const char *a)
{
	return a[0] == '-' && a[1] != '\0';
}

static int found(struct cli_parse *p, const struct cli_opt *o, const char *arg)
{
	p->opt = o;
	p->arg = arg;
	if (o->arg == CLI_ARGS)
		p->list = o;
	return o->id;
}

static int parse_long(struct cli_parse *p, char *a)
{
	struct name_match m;
	const struct cli_opt *o;
	const char *eq = strchr(a + 2, '=');

	memset(&m, 0, sizeof(m));
	m.name = a + 2;
	m.len = eq ? (size_t)(eq - m.name) : strlen(m.name);
	o = opt_walk(p->cmd->opts, match_long, &m);
	if (!o && m.nprefix == 1)
		o = m.prefix;
	p->name = a;
	if (!o) {
		if (m.nprefix > 1)
			cli_error("option '%.*s' is ambiguous", (int)(m.len + 2), a);
		else
			cli_error("unknown option '%.*s'", (int)(m.len + 2), a);
		suggest(p->cmd, a);
		return '?';
	}
	if (o->arg == CLI_NOARG) {
		if (eq) {
			cli_error("option '--%s' takes no value", o->name);
			return '?';
		}
		return found(p, o, NULL);
	}
	if (eq) {
		/* --manifests=A takes A alone */
		int id = found(p, o, eq + 1);
		p->list = NULL;
		return id;
	}
	if (p->next >= p->argc) {
		cli_error("option '--%s' requires a value (%s)", o->name, o->argname ? o->argname : "VALUE");
		return '?';
	}
	return found(p, o, p->argv[p->next++]);
}

static int parse_short(struct cli_parse *p)
{
	static char given[3] = "-?";
	char c = *p->cluster++;
	const struct cli_opt *o = opt_walk(p->cmd->opts, match_short, &c);

	given[1] = c;
	p->name = given;
	if (!o) {
		cli_error("unknown option '-%c'", c);
		p->cluster = NULL;
		return '?';
	}
	if (o->arg == CLI_NOARG) {
		if (!*p->cluster)
			p->cluster = NULL;
		return found(p, o, NULL);
	}
	if (*p->cluster) {
		const char *v = p->cluster;
		p->cluster = NULL;
		return found(p, o, v);
	}
	p->cluster = NULL;
	if (p->next >= p->argc) {
		cli_error("option '-%c' requires a value (%s)", c, o->argname ? o->argname : "VALUE");
		return '?';
	}
	return found(p, o, p->argv[p->next++]);
}

int cli_parse_next(struct cli_parse *p)
{
	char *a;

	p->arg = NULL;
	if (p->cluster && *p->cluster)
		return parse_short(p);
	while (p->next < p->argc) {
		a = p->argv[p->next++];
		if (p->dashdash || !is_option(a)) {
			if (p->list && !p->dashdash) {
				/* PATH...: a CLI_ARGS option takes every argument up to the next option */
				p->list_tail = a;
				p->name = NULL;
				p->arg = a;
				p->opt = p->list;
				return p->list->id;
			}
			add_positional(p, a);
			continue;
		}
		p->list = NULL;
		if (strcmp(a, "--") == 0) {
			p->dashdash = true;
			continue;
		}
		if (a[1] == '-')
			return parse_long(p, a);
		p->cluster = a + 1;
		return parse_short(p);
	}
	p->opt = NULL;
	return -1;
}

const char *cli_parse_untail(struct cli_parse *p)
{
	const char *t = p->list_tail;

	if (!t)
		return NULL;
	p->list_tail = NULL;
	add_positional(p, (char *)t);
	return t;
}

/* ---- --help ---------------------------------------------------------------------------- */

#define HELP_WIDTH 80
#define HELP_COLUMN 28

/*
 * Writes `text` wrapped at HELP_WIDTH, the first line from column `col`
 * (already there), the next ones indented by `indent`.  A '\n' in the text
 * breaks the line there.
 */
static void wrap(FILE *fp, const char *text, size_t col, size_t indent)
{
	const char *s = text;

	while (*s) {
		size_t w = strcspn(s, " \n");
		if (w && col > indent && col + 1 + w > HELP_WIDTH) {
			fprintf(fp, "\n%*s", (int)indent, "");
			col = indent;
		} else if (w && col > indent) {
			fputc(' ', fp);
			col++;
		}
		fwrite(s, 1, w, fp);
		col += w;
		s += w;
		if (*s == '\n') {
			fprintf(fp, "\n%*s", (int)indent, "");
			col = indent;
			s++;
		} else {
			while (*s == ' ')
				s++;
		}
	}
}

/* True when `help` already names every space-separated word of `values`. */
static bool names_all(const char *help, const char *values)
{
	while (help && *values) {
		size_t n = strcspn(values, " ");
		const char *h = help;
		bool found = false;

		for (; *h && !found; h++)
			found = !strncmp(h, values, n) && (h == help || !isalnum((unsigned char)h[-1])) &&
				!isalnum((unsigned char)h[n]);
		if (!found)
			return false;
		values += n;
		while (*values == ' ')
			values++;
	}
	return help != NULL;
}

static void print_opts(const struct cli_opt *t, FILE *fp)
{
	for (; t && t->id; t++) {
		char left[128];
		int n;

		if (t->arg == CLI_OPT_GROUP) {
			if (t->help) {
				fputc('\n', fp);
				wrap(fp, t->help, 0, 0);
				fputs(":\n", fp);
			}
			print_opts(t->group, fp);
			continue;
		}
		if (t->short_name && t->name)
			n = snprintf(left, sizeof(left), "  -%c, --%s", t->short_name, t->name);
		else if (t->name)
			n = snprintf(left, sizeof(left), "  --%s", t->name);
		else
			n = snprintf(left, sizeof(left), "  -%c", t->short_name);
		if (t->arg != CLI_NOARG && n > 0 && (size_t)n < sizeof(left))
			n += snprintf(left + n, sizeof(left) - (size_t)n, " %s%s",
				      t->argname ? t->argname : "VALUE", t->arg == CLI_ARGS ? "..." : "");
		fputs(left, fp);
		if (n < HELP_COLUMN - 1)
			fprintf(fp, "%*s", HELP_COLUMN - n, "");
		else if (n < HELP_COLUMN + 4)
			fputc(' ', fp);
		else
			fprintf(fp, "\n%*s", HELP_COLUMN, "");
		n = n < HELP_COLUMN - 1 ? HELP_COLUMN : n < HELP_COLUMN + 4 ? n + 1 : HELP_COLUMN;
		{
			char d[1024];
			int m = snprintf(d, sizeof(d), "%s", t->help ? t->help : "");
			bool list = t->hint == CLI_HINT_ENUM && t->values && !names_all(t->help, t->values);

			if (list || t->def)
				m += snprintf(d + m, m < (int)sizeof(d) ? sizeof(d) - (size_t)m : 0, " (");
			for (const char *v = list ? t->values : ""; *v && m < (int)sizeof(d); v++)
				m += snprintf(d + m, sizeof(d) - (size_t)m, "%s", *v == ' ' ? ", " : (char[2]){ *v, 0 });
			if (t->def && m < (int)sizeof(d))
				m += snprintf(d + m, sizeof(d) - (size_t)m, "%sdefault: %s", list ? "; " : "", t->def);
			if ((list || t->def) && m < (int)sizeof(d))
				snprintf(d + m, sizeof(d) - (size_t)m, ")");
			wrap(fp, d, (size_t)n, HELP_COLUMN);
		}
		fputc('\n', fp);
	}
}

void cli_usage(const struct cli_cmd *cmd, FILE *fp)
{
	const char *u = cmd->usage ? cmd->usage : "[options]";
	bool first = true;

	while (*u) {
		size_t n = strcspn(u, "\n");
		fprintf(fp, "%s %s%s%s %.*s\n", first ? "usage:" : "      ", kup_cli_name,
			*cmd->name ? " " : "", cmd->name, (int)n, u);
		first = false;
		u += n;
		if (*u)
			u++;
	}
	if (!cmd->description && cmd->summary && *cmd->name) {
		fputs("\n", fp);
		wrap(fp, cmd->summary, 0, 0);
		fputs(".\n", fp);
	}
	if (cmd->description) {
		const char *d = cmd->description;
		fputc('\n', fp);
		while (*d) {
			size_t n = strstr(d, "\n\n") ? (size_t)(strstr(d, "\n\n") - d) : strlen(d);
			char *para = kup_strndup(d, n);
			if (para) {
				wrap(fp, para, 0, 0);
				free(para);
			}
			fputc('\n', fp);
			d += n;
			if (*d) {
				d += 2;
				fputc('\n', fp);
			}
		}
	}
	if (cmd->subs) {
		fputs("\nCommands:\n", fp);
		for (const struct cli_cmd *const *s = cmd->subs; *s; s++) {
			const char *sub = strrchr((*s)->name, ' ');
			sub = sub ? sub + 1 : (*s)->name;
			fprintf(fp, "  %-18s ", sub);
			wrap(fp, (*s)->summary ? (*s)->summary : "", 21, 21);
			fputc('\n', fp);
		}
	}
	if (cmd->opts && cmd->opts->id) {
		fputs("\nOptions:\n", fp);
		print_opts(cmd->opts, fp);
	}
	if (cmd->trailer) {
		fputc('\n', fp);
		wrap(fp, cmd->trailer, 0, 0);
		fputc('\n', fp);
	}
}
