#include "scenario.h"

#include "ct_err.h"
#include "lg_cli.h"
#include "opt.h"
#include "responder_cli.h"
#include "sampler_cli.h"
#include "zone.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_LEN 4000

static char *xstrdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		abort();
	return d;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		abort();
	return q;
}

/* ---- errors ---- */

void sc_error(struct sc_errors *e, const char *fmt, ...)
{
	if (e->n == SC_MAX_ERRORS) {
		e->dropped++;
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&e->msg[e->n], fmt, ap) < 0)
		abort();
	va_end(ap);
	e->n++;
}

void sc_errors_print(const struct sc_errors *e, const char *prog)
{
	for (size_t i = 0; i < e->n; i++)
		fprintf(stderr, "%s: error: %s\n", prog, e->msg[i]);
	if (e->dropped)
		fprintf(stderr, "%s: ... and %zu more errors\n", prog, e->dropped);
}

void sc_errors_free(struct sc_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msg[i]);
	memset(e, 0, sizeof *e);
}

/* ---- expectations ---- */

static const char *const op_text[] = { "<", "<=", ">", ">=", "==", "!=" };
static const char *const metric_roots[] = { "loadgen", "canary", "sampler", "responder" };

const char *sc_op_str(enum sc_op op)
{
	return op_text[op];
}

int sc_expect_parse(const char *text, struct sc_expect *x, char *why, size_t whylen)
{
	memset(x, 0, sizeof *x);
	const char *p = text;
	while (isspace((unsigned char)*p))
		p++;
	const char *m = p;
	while (isalnum((unsigned char)*p) || *p == '_' || *p == '.')
		p++;
	size_t mlen = (size_t)(p - m);
	if (mlen == 0)
		return ct_err(why, whylen, "'%s' is not an expectation (METRIC OP NUMBER, e.g. sampler.drop > 0)", text);
	while (isspace((unsigned char)*p))
		p++;
	int op = -1;
	for (int i = 0; i < 6; i++) {
		size_t n = strlen(op_text[i]);
		if (strncmp(p, op_text[i], n) == 0 && (op < 0 || n > strlen(op_text[op])))
			op = i;
	}
	if (op < 0)
		return ct_err(why, whylen, "'%s': expected a comparison (< <= > >= == !=) after the metric", text);
	p += strlen(op_text[op]);
	char *end;
	errno = 0;
	double v = strtod(p, &end);
	if (end == p || errno || !isfinite(v))
		return ct_err(why, whylen, "'%s': expected a number after '%s'", text, op_text[op]);
	while (isspace((unsigned char)*end))
		end++;
	if (*end)
		return ct_err(why, whylen, "'%s': unexpected '%s' after the number", text, end);
	char *metric = strndup(m, mlen);
	if (!metric)
		abort();
	char *dot = strchr(metric, '.');
	size_t root_len = dot ? (size_t)(dot - metric) : mlen;
	bool known = false;
	for (size_t i = 0; i < 4; i++)
		known |= strlen(metric_roots[i]) == root_len && strncmp(metric, metric_roots[i], root_len) == 0;
	if (!known || !dot || !dot[1]) {
		char root[64];
		snprintf(root, sizeof root, "%.*s", (int)(root_len < 63 ? root_len : 63), metric);
		const char *hint = ct_did_you_mean(root, metric_roots, 4);
		ct_err(why, whylen, "'%s': metrics are loadgen.*, canary.*, sampler.* or responder.*%s%s%s", metric,
		       hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
		free(metric);
		return -1;
	}
	x->metric = metric;
	x->op = (enum sc_op)op;
	x->value = v;
	if (asprintf(&x->text, "%s %s %g", metric, op_text[op], v) < 0)
		abort();
	return 0;
}

bool sc_expect_holds(const struct sc_expect *x, double v)
{
	switch (x->op) {
	case SC_LT: return v < x->value;
	case SC_LE: return v <= x->value;
	case SC_GT: return v > x->value;
	case SC_GE: return v >= x->value;
	case SC_EQ: return v == x->value;
	case SC_NE: return v != x->value;
	}
	return false;
}

static void expect_free(struct sc_expect *x)
{
	free(x->metric);
	free(x->text);
}

/* ---- parsing ---- */

static const char *const plain_sections[] = { "scenario", "server", "router", "client", "load", "canary", "sampler", "probe" };
#define N_PLAIN (sizeof plain_sections / sizeof *plain_sections)
static const char *const all_sections[] = { "scenario", "server", "router", "client", "load", "canary",
					    "sampler",  "probe",  "expect", "quick",  "variant NAME" };

struct parse {
	struct sc_file *f;
	struct sc_errors *e;
	const char *name;   /* file name for messages */
	/* the reader's view */
	const char *text;
	size_t pos;
	int line;           /* the line being parsed */
	bool indented;      /* it starts with whitespace: a continuation */
	int section_line;   /* where the current [section] header is */
	bool too_long;
	/* what the last handler call set, for continuations */
	struct sc_setting *last;
	char last_name[256]; /* as written: "server.iptables" in a variant */
	int last_line;
	char cur_section[128];
	struct sc_variant *cur_var;
	bool section_bad;   /* an unknown section: its keys are not reported again */
};

static bool is_override_section(const char *s)
{
	for (size_t i = 0; i < N_PLAIN; i++)
		if (strcmp(s, plain_sections[i]) == 0)
			return true;
	return false;
}

/* Called by the reader at every [section] line, so that a section with no
 * keys (an empty variant) exists too. */
static void begin_section(struct parse *p, const char *section)
{
	snprintf(p->cur_section, sizeof p->cur_section, "%s", section);
	p->cur_var = NULL;
	p->last = NULL;
	p->section_bad = false;
	if (strncmp(section, "variant ", 8) == 0) {
		const char *vn = section + 8;
		while (*vn == ' ')
			vn++;
		bool ok = *vn != '\0';
		for (const char *c = vn; *c; c++)
			ok &= isalnum((unsigned char)*c) || *c == '-' || *c == '_';
		if (!ok) {
			sc_error(p->e, "%s:%d: [%s]: a variant's name is letters, digits, '-' and '_'", p->name,
				 p->section_line, section);
			p->section_bad = true;
			return;
		}
		for (size_t i = 0; i < p->f->nvar; i++)
			if (strcmp(p->f->var[i].name, vn) == 0) {
				sc_error(p->e, "%s:%d: [variant %s] appears twice (first at line %d)", p->name,
					 p->section_line, vn, p->f->var[i].line);
				p->section_bad = true;
				return;
			}
		p->f->var = xrealloc(p->f->var, (p->f->nvar + 1) * sizeof *p->f->var);
		p->cur_var = &p->f->var[p->f->nvar++];
		memset(p->cur_var, 0, sizeof *p->cur_var);
		p->cur_var->name = xstrdup(vn);
		p->cur_var->line = p->section_line;
	} else if (!is_override_section(section) && strcmp(section, "expect") != 0 &&
		   strcmp(section, "quick") != 0) {
		const char *hint = ct_did_you_mean(section, all_sections, sizeof all_sections / sizeof *all_sections);
		sc_error(p->e, "%s:%d: unknown section [%s]%s%s%s", p->name, p->section_line, section,
			 hint ? " (did you mean [" : "", hint ? hint : "", hint ? "]?)" : "");
		p->section_bad = true;
	}
}

static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	if (!p->text[p->pos])
		return NULL;
	const char *s = p->text + p->pos;
	const char *nl = strchr(s, '\n');
	size_t len = nl ? (size_t)(nl - s) + 1 : strlen(s);
	p->pos += len;
	p->line++;
	p->indented = *s == ' ' || *s == '\t';
	p->too_long = len + 1 > (size_t)num;
	if (p->too_long) {
		sc_error(p->e, "%s:%d: line longer than %d characters: continue it on indented lines", p->name, p->line,
			 num - 2);
		len = 0;
	}
	memcpy(str, s, len);
	str[len] = '\0';
	/* " #" starts an inline comment, on every line alike (continuations too) */
	for (char *c = str + 1; *c; c++)
		if (*c == '#' && (c[-1] == ' ' || c[-1] == '\t')) {
			c[0] = '\n';
			c[1] = '\0';
			break;
		}
	const char *first = str + strspn(str, " \t");
	const char *close = *first == '[' ? strchr(first, ']') : NULL;
	if (close) {
		char name[sizeof p->cur_section];
		snprintf(name, sizeof name, "%.*s", (int)(close - first - 1), first + 1);
		p->section_line = p->line;
		begin_section(p, name);
	}
	return str;
}


static struct sc_setting *push_setting(struct sc_setting **v, size_t *n, const char *section, const char *key,
				       const char *value, int line)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	struct sc_setting *s = &(*v)[(*n)++];
	s->section = xstrdup(section);
	s->key = xstrdup(key);
	s->value = xstrdup(value);
	s->line = line;
	return s;
}

static void setting_free(struct sc_setting *s)
{
	free(s->section);
	free(s->key);
	free(s->value);
}

static int push_expect(struct parse *p, struct sc_expect **v, size_t *n, const char *text)
{
	struct sc_expect x;
	char why[CT_ERRLEN];
	if (sc_expect_parse(text, &x, why, sizeof why) < 0) {
		sc_error(p->e, "%s:%d: [%s] %s", p->name, p->line, p->cur_section, why);
		return 1;
	}
	x.line = p->line;
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = x;
	return 1;
}

/* The same (section, key) twice in one place is a mistake worth naming. */
static const struct sc_setting *find_dup(const struct sc_setting *v, size_t n, const char *section, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].section, section) == 0 && strcmp(v[i].key, key) == 0)
			return &v[i];
	return NULL;
}

/* "server.firewall" -> section "server", key "firewall". */
static int split_override(struct parse *p, const char *name, char *section, size_t seclen, const char **key)
{
	const char *dot = strchr(name, '.');
	if (dot && (size_t)(dot - name) < seclen) {
		snprintf(section, seclen, "%.*s", (int)(dot - name), name);
		if (is_override_section(section) && dot[1]) {
			*key = dot + 1;
			return 0;
		}
	}
	char root[64];
	snprintf(root, sizeof root, "%.*s", dot ? (int)(dot - name) : 63, name);
	const char *hint = ct_did_you_mean(root, plain_sections, N_PLAIN);
	sc_error(p->e, "%s:%d: [%s] '%s': overrides are SECTION.KEY = VALUE with SECTION one of scenario, server, "
		       "router, client, load, canary, sampler%s%s%s",
		 p->name, p->line, p->cur_section, name, hint ? " (did you mean '" : "", hint ? hint : "",
		 hint ? "'?)" : "");
	return -1;
}

static void remember(struct parse *p, const char *name)
{
	snprintf(p->last_name, sizeof p->last_name, "%s", name);
	p->last_line = p->line;
}

static bool looks_like_expectation(const char *name, const char *value)
{
	size_t n = strlen(name);
	if (!value)
		return strpbrk(name, "<>") != NULL;
	return (n && strchr("<>!", name[n - 1])) || value[0] == '=';
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	if (p->too_long)
		return 1;
	if (!*section) {
		sc_error(p->e, "%s:%d: '%s' comes before any [section]", p->name, p->line, name);
		return 1;
	}
	if (p->section_bad)
		return 1;

	/* an indented line continues the previous key's text (iptables, nft, description) */
	if (p->indented) {
		bool text_key = p->last && (strcmp(p->last->key, "iptables") == 0 || strcmp(p->last->key, "nft") == 0 ||
					    strcmp(p->last->key, "description") == 0);
		if (p->last && !text_key && strcmp(p->last_name, name) == 0 && p->last_line == p->line - 1) {
			sc_error(p->e, "%s:%d: an indented line continues '%s' from line %d; only iptables and nft texts "
				       "span lines",
				 p->name, p->line, name, p->last_line);
			p->last_line = p->line;
			return 1;
		}
		if (text_key && value && strcmp(p->last_name, name) == 0 && p->last_line == p->line - 1) {
			size_t a = strlen(p->last->value), b = strlen(value);
			p->last->value = xrealloc(p->last->value, a + b + 2);
			if (a)
				p->last->value[a++] = '\n';
			memcpy(p->last->value + a, value, b + 1);
			p->last_line = p->line;
			return 1;
		}
		if (p->cur_var && p->cur_var->description && strcmp(name, "description") == 0 && value) {
			char *d = p->cur_var->description;
			if (asprintf(&p->cur_var->description, "%s %s", d, value) < 0)
				abort();
			free(d);
			return 1;
		}
		sc_error(p->e, "%s:%d: an indented line continues a multi-line value (iptables, nft); this one follows "
			       "no such key",
			 p->name, p->line);
		return 1;
	}
	p->last = NULL;

	char expr[LINE_MAX_LEN + 8];
	snprintf(expr, sizeof expr, "%s%s%s", name, value ? "=" : "", value ? value : "");
	if (strcmp(section, "expect") == 0)
		return push_expect(p, &p->f->exp, &p->f->nexp, expr);
	if (p->cur_var) {
		if (looks_like_expectation(name, value))
			return push_expect(p, &p->cur_var->exp, &p->cur_var->nexp, expr);
		if (!value) {
			sc_error(p->e, "%s:%d: [%s] '%s' is neither SECTION.KEY = VALUE nor an expectation", p->name, p->line,
				 section, name);
			return 1;
		}
		if (strcmp(name, "description") == 0) {
			free(p->cur_var->description);
			p->cur_var->description = xstrdup(value);
			return 1;
		}
		char sec[32];
		const char *key;
		if (split_override(p, name, sec, sizeof sec, &key) < 0)
			return 1;
		const struct sc_setting *d = find_dup(p->cur_var->set, p->cur_var->nset, sec, key);
		if (d) {
			sc_error(p->e, "%s:%d: [%s] '%s' is set twice (first at line %d)", p->name, p->line, section, name,
				 d->line);
			return 1;
		}
		p->last = push_setting(&p->cur_var->set, &p->cur_var->nset, sec, key, value, p->line);
		remember(p, name);
		return 1;
	}
	if (!value) {
		sc_error(p->e, "%s:%d: [%s] '%s': expected KEY = VALUE%s", p->name, p->line, section, name,
			 strpbrk(name, "<>") ? " (expectations go in [expect] or a [variant])" : "");
		return 1;
	}
	if (strcmp(section, "quick") == 0) {
		char sec[32];
		const char *key;
		if (split_override(p, name, sec, sizeof sec, &key) < 0)
			return 1;
		const struct sc_setting *d = find_dup(p->f->quick, p->f->nquick, sec, key);
		if (d) {
			sc_error(p->e, "%s:%d: [quick] '%s' is set twice (first at line %d)", p->name, p->line, name, d->line);
			return 1;
		}
		p->last = push_setting(&p->f->quick, &p->f->nquick, sec, key, value, p->line);
		remember(p, name);
		return 1;
	}
	const struct sc_setting *d = find_dup(p->f->set, p->f->nset, section, name);
	if (d) {
		sc_error(p->e, "%s:%d: [%s] '%s' is set twice (first at line %d)", p->name, p->line, section, name, d->line);
		return 1;
	}
	p->last = push_setting(&p->f->set, &p->f->nset, section, name, value, p->line);
	remember(p, name);
	return 1;
}

int sc_parse_string(const char *text, const char *name, struct sc_file *f, struct sc_errors *e)
{
	size_t before = e->n + e->dropped;
	if (!f->path)
		f->path = xstrdup(name);
	if (!f->dir) {
		char *copy = xstrdup(name);
		f->dir = xstrdup(dirname(copy));
		free(copy);
	}
	if (!f->text)
		f->text = xstrdup(text);
	struct parse p = { .f = f, .e = e, .name = name, .text = text, .cur_section = "\001" };
	/* Debian's libinih takes these at run time: no-value lines are our
	 * expectations; long lines grow a heap buffer; '#' and ';' start
	 * comments at the start of a line; ' #' inline comments are the
	 * reader's (inih would keep them on continuation lines; nft uses ';'). */
	ini_allow_no_value = true;
	ini_allow_multiline = true;
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = LINE_MAX_LEN;
	ini_initial_alloc = LINE_MAX_LEN;
	ini_stop_on_first_error = false;
	ini_allow_inline_comments = false; /* the reader strips " #" comments */
	int rc = ini_parse_stream(reader, &p, handler, &p);
	if (rc > 0 && e->n + e->dropped == before)
		sc_error(e, "%s:%d: syntax error: expected [section], KEY = VALUE or an expectation", name, rc);
	else if (rc < 0)
		sc_error(e, "%s: cannot parse (out of memory)", name);
	return e->n + e->dropped == before ? 0 : -1;
}

int sc_parse_file(const char *path, struct sc_file *f, struct sc_errors *e)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		sc_error(e, "%s: %s", path, strerror(errno));
		return -1;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	char chunk[8192];
	size_t n;
	while (mem && (n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		fwrite(chunk, 1, n, mem);
	bool rerr = ferror(fp);
	fclose(fp);
	if (!mem || fclose(mem) != 0 || rerr) {
		free(buf);
		sc_error(e, "%s: cannot read", path);
		return -1;
	}
	if (strlen(buf) != len) {
		sc_error(e, "%s: contains a NUL byte: not a scenario file", path);
		free(buf);
		return -1;
	}
	f->text = buf;
	int rc = sc_parse_string(buf, path, f, e);
	return rc;
}

int sc_add_cli_set(struct sc_file *f, const char *arg, struct sc_errors *e)
{
	const char *eq = strchr(arg, '=');
	const char *dot = strchr(arg, '.');
	if (!eq || !dot || dot > eq || dot == arg || eq == dot + 1) {
		sc_error(e, "--set '%s': expected SECTION.KEY=VALUE (e.g. load.limit=5s)", arg);
		return -1;
	}
	char sec[32];
	snprintf(sec, sizeof sec, "%.*s", (int)(dot - arg), arg);
	if (!is_override_section(sec)) {
		const char *hint = ct_did_you_mean(sec, plain_sections, N_PLAIN);
		sc_error(e, "--set '%s': no section '%s'%s%s%s", arg, sec, hint ? " (did you mean '" : "", hint ? hint : "",
			 hint ? "'?)" : "");
		return -1;
	}
	char *key = strndup(dot + 1, (size_t)(eq - dot - 1));
	if (!key)
		abort();
	push_setting(&f->cli, &f->ncli, sec, key, eq + 1, 0);
	free(key);
	return 0;
}

void sc_set_override(struct sc_file *f, const char *section, const char *key, const char *value)
{
	for (size_t i = 0; i < f->ncli; i++)
		if (strcmp(f->cli[i].section, section) == 0 && strcmp(f->cli[i].key, key) == 0) {
			free(f->cli[i].value);
			f->cli[i].value = xstrdup(value);
			return;
		}
	push_setting(&f->cli, &f->ncli, section, key, value, 0);
}

void sc_file_free(struct sc_file *f)
{
	for (size_t i = 0; i < f->nset; i++)
		setting_free(&f->set[i]);
	for (size_t i = 0; i < f->nquick; i++)
		setting_free(&f->quick[i]);
	for (size_t i = 0; i < f->ncli; i++)
		setting_free(&f->cli[i]);
	for (size_t i = 0; i < f->nexp; i++)
		expect_free(&f->exp[i]);
	for (size_t i = 0; i < f->nvar; i++) {
		struct sc_variant *v = &f->var[i];
		for (size_t j = 0; j < v->nset; j++)
			setting_free(&v->set[j]);
		for (size_t j = 0; j < v->nexp; j++)
			expect_free(&v->exp[j]);
		free(v->set);
		free(v->exp);
		free(v->name);
		free(v->description);
	}
	free(f->set);
	free(f->quick);
	free(f->cli);
	free(f->exp);
	free(f->var);
	free(f->path);
	free(f->dir);
	free(f->text);
	memset(f, 0, sizeof *f);
}

/* ---- resolution ---- */

static void overlay(struct sc_resolved *r, const struct sc_setting *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j;
		for (j = 0; j < r->nset; j++)
			if (strcmp(r->set[j]->section, v[i].section) == 0 && strcmp(r->set[j]->key, v[i].key) == 0)
				break;
		if (j == r->nset) {
			r->set = xrealloc(r->set, (r->nset + 1) * sizeof *r->set);
			r->nset++;
		}
		r->set[j] = &v[i];
	}
}

const char *sc_variant_name(const struct sc_file *f, size_t vi)
{
	return vi == (size_t)-1 ? "default" : f->var[vi].name;
}

int sc_resolve(const struct sc_file *f, size_t vi, bool quick, struct sc_resolved *r)
{
	memset(r, 0, sizeof *r);
	r->file = f;
	r->quick = quick;
	r->name = sc_variant_name(f, vi);
	overlay(r, f->set, f->nset);
	if (quick)
		overlay(r, f->quick, f->nquick);
	const struct sc_variant *v = vi == (size_t)-1 ? NULL : &f->var[vi];
	if (v)
		overlay(r, v->set, v->nset);
	overlay(r, f->cli, f->ncli);
	r->description = v && v->description ? v->description : sc_value(r, "scenario", "description", "");
	size_t n = f->nexp + (v ? v->nexp : 0);
	r->exp = xrealloc(NULL, n * sizeof *r->exp);
	for (size_t i = 0; i < f->nexp; i++)
		r->exp[r->nexp++] = &f->exp[i];
	for (size_t i = 0; v && i < v->nexp; i++)
		r->exp[r->nexp++] = &v->exp[i];
	return 0;
}

void sc_resolved_free(struct sc_resolved *r)
{
	free(r->set);
	free(r->exp);
	memset(r, 0, sizeof *r);
}

const struct sc_setting *sc_get(const struct sc_resolved *r, const char *section, const char *key)
{
	for (size_t i = 0; i < r->nset; i++)
		if (strcmp(r->set[i]->section, section) == 0 && strcmp(r->set[i]->key, key) == 0)
			return *r->set[i]->value ? r->set[i] : NULL; /* empty: unset by an override */
	return NULL;
}

const char *sc_value(const struct sc_resolved *r, const char *section, const char *key, const char *def)
{
	const struct sc_setting *s = sc_get(r, section, key);
	return s ? s->value : def;
}

char *sc_path(const struct sc_file *f, const char *value)
{
	char *out;
	if (value[0] == '/' || !f->dir)
		out = xstrdup(value);
	else if (asprintf(&out, "%s/%s", f->dir, value) < 0)
		abort();
	return out;
}

uint64_t sc_formula(uint64_t ram_bytes, unsigned pointer_bits)
{
	return ram_bytes / 16384 / (pointer_bits / 32 ? pointer_bits / 32 : 1);
}

uint64_t sc_formula_max(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t ram = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
	return sc_formula(ram, (unsigned)sizeof(void *) * 8);
}

/* ---- validation ---- */

/* Keys of the binaries the runner sets itself. */
static const char *const lg_reserved[] = { "server", "port", "json", "summary", "canary", "canary-log", "quiet" };
static const char *const sampler_reserved[] = { "netns", "csv", "json", "summary", "kmsg-log", "duration",
						"quiet", "prom-file", "listen" };
static const char *const responder_reserved[] = { "listen", "user", "stats-json", "quiet", "zone" };

static const char *const scenario_keys[] = { "name", "description", "seed", "topology", "nat", "family", "settle", "tail" };
static const char *const node_keys[] = { "firewall",  "iptables", "nft", "iptables-file", "nft-file",
					 "nf_conntrack_max", "nf_conntrack_buckets" };
static const char *const server_keys[] = { "responder", "zone" };
const char *const sc_firewall_presets[] = { "none", "stateful", "stateless", "notrack-dns", "notrack-dns-nft" };
#define N_PRESETS 5

struct vctx {
	const struct sc_file *f;
	const struct sc_resolved *r;
	struct sc_errors *e;
	char where[96];   /* " (variant X, quick)" */
};

static void where_of(const struct sc_setting *s, const struct vctx *c, char *buf, size_t len)
{
	if (s->line)
		snprintf(buf, len, "%s:%d", c->f->path, s->line);
	else
		snprintf(buf, len, "--set %s.%s", s->section, s->key);
}

static void bad(const struct vctx *c, const struct sc_setting *s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void bad(const struct vctx *c, const struct sc_setting *s, const char *fmt, ...)
{
	char where[512], msg[1024];
	where_of(s, c, where, sizeof where);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* the same setting is checked for every variant: say it once */
	for (size_t i = 0; i < c->e->n; i++)
		if (strstr(c->e->msg[i], where) == c->e->msg[i] && strstr(c->e->msg[i], msg))
			return;
	sc_error(c->e, "%s: [%s] %s: %s%s", where, s->section, s->key, msg, c->where);
}

static bool in_list(const char *k, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(k, v[i]) == 0)
			return true;
	return false;
}

#define N(a) (sizeof(a) / sizeof *(a))

static void unknown_key(const struct vctx *c, const struct sc_setting *s, const char *const *cands, size_t n)
{
	const char *hint = ct_did_you_mean(s->key, cands, n);
	if (hint)
		bad(c, s, "unknown key (did you mean '%s'?)", hint);
	else
		bad(c, s, "unknown key");
}

/* Checks a binary's option by its own table: name and value. */
static void check_binary_opt(const struct vctx *c, const struct sc_setting *s, const struct ct_opt *table, void *cfg,
			     const char *const *reserved, size_t nres, const char *binary)
{
	if (in_list(s->key, reserved, nres)) {
		bad(c, s, "set by the runner, not by the scenario");
		return;
	}
	if (!*s->value && s->line == 0)
		return; /* --set load.max-qps= : unset */
	const char *names[64];
	size_t n = 0;
	bool found = false;
	for (const struct ct_opt *o = table; o->name && n < N(names); o++) {
		if (!in_list(o->name, reserved, nres))
			names[n++] = o->name;
		found |= strcmp(o->name, s->key) == 0;
	}
	if (!found) {
		const char *hint = ct_did_you_mean(s->key, names, n);
		bad(c, s, "not an option of %s%s%s%s", binary, hint ? " (did you mean '" : "", hint ? hint : "",
		    hint ? "'?)" : "");
		return;
	}
	char why[CT_ERRLEN];
	const char *value = s->value;
	for (const struct ct_opt *o = table; o->name; o++)
		if (strcmp(o->name, s->key) == 0 && o->type == CT_OPT_FLAG) {
			if (strcmp(value, "yes") && strcmp(value, "no") && strcmp(value, "true") && strcmp(value, "false")) {
				bad(c, s, "'%s': a flag is yes or no", value);
				return;
			}
			return;
		}
	if (ct_opt_set(table, cfg, s->key, value, why, sizeof why) < 0)
		bad(c, s, "%s", why);
}

static bool sysctl_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

char *sc_sysctl_path(const char *key)
{
	char *p;
	if (strncmp(key, "nf_conntrack_", 13) == 0) {
		if (asprintf(&p, "/proc/sys/net/netfilter/%s", key) < 0)
			abort();
		return p;
	}
	if (strncmp(key, "net.", 4) != 0 || strstr(key, "..") || strchr(key, '/'))
		return NULL;
	if (asprintf(&p, "/proc/sys/%s", key) < 0)
		abort();
	for (char *q = p + 10; *q; q++)
		if (*q == '.')
			*q = '/';
	return p;
}

static void check_node(const struct vctx *c, const struct sc_setting *s, bool global_ok)
{
	if (strcmp(s->key, "firewall") == 0) {
		if (!in_list(s->value, sc_firewall_presets, N_PRESETS)) {
			const char *hint = ct_did_you_mean(s->value, sc_firewall_presets, N_PRESETS);
			bad(c, s, "'%s' is not a preset (none, stateful, stateless, notrack-dns, notrack-dns-nft)%s%s%s", s->value,
			    hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
		}
		return;
	}
	if (strcmp(s->key, "iptables") == 0 || strcmp(s->key, "nft") == 0) {
		if (!s->value[strspn(s->value, " \t\n")])
			bad(c, s, "empty ruleset (write the rules on indented lines below the key)");
		return;
	}
	if (strcmp(s->key, "iptables-file") == 0 || strcmp(s->key, "nft-file") == 0) {
		char *path = sc_path(c->f, s->value);
		struct stat st;
		if (stat(path, &st) < 0 || access(path, R_OK) != 0)
			bad(c, s, "%s: %s", path, strerror(errno));
		else if (!S_ISREG(st.st_mode))
			bad(c, s, "%s: not a regular file", path);
		free(path);
		return;
	}
	if (strcmp(s->key, "nf_conntrack_max") == 0 || strcmp(s->key, "nf_conntrack_buckets") == 0) {
		uint64_t v;
		char why[CT_ERRLEN];
		if (!global_ok)
			bad(c, s, "global to the host: set it in [server] or [router], the namespace under test");
		else if (strcmp(s->value, "formula") != 0 &&
			 (ct_parse_uint(s->value, &v, why, sizeof why) < 0 || v < 1 || v > (1u << 26)))
			bad(c, s, "'%s' is neither a number 1..%u nor 'formula'", s->value, 1u << 26);
		return;
	}
	char *path = sc_sysctl_path(s->key);
	if (!path) {
		const char *cands[N(node_keys) + N(server_keys)];
		size_t n = 0;
		for (size_t i = 0; i < N(node_keys); i++)
			cands[n++] = node_keys[i];
		if (strcmp(s->section, "server") == 0)
			for (size_t i = 0; i < N(server_keys); i++)
				cands[n++] = server_keys[i];
		unknown_key(c, s, cands, n);
		return;
	}
	/* Only known where conntrack is loaded; elsewhere the run says so. */
	if (strncmp(s->key, "nf_conntrack_", 13) == 0 ? sysctl_exists("/proc/sys/net/netfilter/nf_conntrack_count")
						      && !sysctl_exists(path)
						      : !sysctl_exists(path))
		bad(c, s, "no such sysctl on this host (%s)", path);
	else if (!*s->value)
		bad(c, s, "empty value");
	free(path);
}

static void check_setting(const struct vctx *c, const struct sc_setting *s, void *lgcfg, void *smcfg, void *rspcfg)
{
	const char *sec = s->section;
	if (strcmp(sec, "scenario") == 0) {
		if (!in_list(s->key, scenario_keys, N(scenario_keys)))
			unknown_key(c, s, scenario_keys, N(scenario_keys));
		else if (strcmp(s->key, "topology") == 0 && strcmp(s->value, "pair") && strcmp(s->value, "routed"))
			bad(c, s, "'%s' is neither pair nor routed", s->value);
		else if (strcmp(s->key, "nat") == 0 && strcmp(s->value, "masquerade") && strcmp(s->value, "dnat"))
			bad(c, s, "'%s' is neither masquerade nor dnat", s->value);
		else if (strcmp(s->key, "family") == 0 && strcmp(s->value, "ipv4") && strcmp(s->value, "ipv6"))
			bad(c, s, "'%s' is neither ipv4 nor ipv6", s->value);
		else if (strcmp(s->key, "settle") == 0 || strcmp(s->key, "tail") == 0) {
			uint64_t ns;
			char why[CT_ERRLEN];
			if (ct_parse_duration(s->value, &ns, why, sizeof why) < 0 || ns > 600 * 1000000000ull)
				bad(c, s, "'%s' is not a duration up to 10m", s->value);
		} else if (strcmp(s->key, "name") == 0 &&
			   (!*s->value || strspn(s->value, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") !=
						  strlen(s->value)))
			bad(c, s, "'%s': a name is letters, digits, '-', '_' and '.' (it names the results folder)", s->value);
	} else if (strcmp(sec, "server") == 0) {
		if (strcmp(s->key, "responder") == 0) {
			if (strcmp(s->value, "ctstorm") && strcmp(s->value, "nsd") && strcmp(s->value, "knot"))
				bad(c, s, "'%s' is not a responder (ctstorm, nsd or knot)", s->value);
		} else if (strcmp(s->key, "zone") == 0) {
			char *path = sc_path(c->f, s->value);
			struct ct_zone z;
			char why[CT_ERRLEN];
			struct stat st;
			if (stat(path, &st) < 0)
				bad(c, s, "%s: %s", path, strerror(errno));
			else if (!S_ISREG(st.st_mode))
				bad(c, s, "%s: not a regular file", path);
			else if (ct_zone_load(path, &z, why, sizeof why) < 0)
				bad(c, s, "%s", why);
			else
				ct_zone_free(&z);
			free(path);
		} else if (in_list(s->key, node_keys, N(node_keys)) || strncmp(s->key, "nf_conntrack_", 13) == 0 ||
			   strncmp(s->key, "net.", 4) == 0) {
			check_node(c, s, true);
		} else {
			bool is_opt = false;
			for (const struct ct_opt *o = responder_cli_options; o->name; o++)
				is_opt |= strcmp(o->name, s->key) == 0;
			if (is_opt || in_list(s->key, responder_reserved, N(responder_reserved)))
				check_binary_opt(c, s, responder_cli_options, rspcfg, responder_reserved, N(responder_reserved),
						 "ctstorm-responder");
			else
				check_node(c, s, true);
		}
	} else if (strcmp(sec, "router") == 0 || strcmp(sec, "client") == 0) {
		check_node(c, s, strcmp(sec, "router") == 0);
	} else if (strcmp(sec, "load") == 0) {
		check_binary_opt(c, s, lg_cli_options, lgcfg, lg_reserved, N(lg_reserved), "ctstorm-loadgen");
	} else if (strcmp(sec, "sampler") == 0) {
		check_binary_opt(c, s, sampler_cli_options, smcfg, sampler_reserved, N(sampler_reserved), "ctstorm-sampler");
	} else if (strcmp(sec, "probe") == 0) {
		static const char *const probe_keys[] = { "warmup", "hold", "budget", "precision" };
		uint64_t v;
		char why[CT_ERRLEN];
		if (!in_list(s->key, probe_keys, N(probe_keys)))
			unknown_key(c, s, probe_keys, N(probe_keys));
		else if (strcmp(s->key, "precision") == 0 ? ct_parse_uint(s->value, &v, why, sizeof why) < 0 || v < 1 || v > 50
							   : ct_parse_duration(s->value, &v, why, sizeof why) < 0 ||
								     v < 1000000000ull || v > 3600 * 1000000000ull)
			bad(c, s, "'%s': %s", s->value,
			    strcmp(s->key, "precision") == 0 ? "a percentage 1..50" : "a duration from 1s to 1h");
	} else if (strcmp(sec, "canary") == 0) {
		static const char *const canary_keys[] = { "rate" };
		char *end;
		if (strcmp(s->key, "rate") != 0)
			unknown_key(c, s, canary_keys, 1);
		else if (strtod(s->value, &end) <= 0 || *end || end == s->value)
			bad(c, s, "'%s' is not a rate in queries per second", s->value);
	}
}

/* The lab's rule: sources from the benchmarking ranges, never the links. */
static const char *src_range_problem(const char *cidr)
{
	char addr[64];
	const char *slash = strchr(cidr, '/');
	if (!slash || (size_t)(slash - cidr) >= sizeof addr)
		return "not ADDR/PREFIX";
	snprintf(addr, sizeof addr, "%.*s", (int)(slash - cidr), cidr);
	char *end;
	long prefix = strtol(slash + 1, &end, 10);
	if (*end || end == slash + 1 || prefix < 0)
		return "bad prefix length";
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, addr, &a4) == 1) {
		if (prefix > 32 || prefix < 15)
			return "outside 198.18.0.0/15, the benchmarking range the lab uses";
		uint32_t a = ntohl(a4.s_addr), size = 1u << (32 - prefix); /* prefix 15..32 */
		uint32_t lo = a & ~(size - 1), hi = lo + (size - 1);
		if (lo < 0xC6120000u || hi > 0xC613FFFFu)
			return "outside 198.18.0.0/15, the benchmarking range the lab uses";
		if (lo <= 0xC61201FFu && hi >= 0xC6120000u)
			return "overlaps the lab's links 198.18.0.0/24 and 198.18.1.0/24 (use 198.19.0.0/16)";
		return NULL;
	}
	if (inet_pton(AF_INET6, addr, &a6) == 1) {
		static const uint8_t lab[6] = { 0x20, 0x01, 0x00, 0x02, 0x00, 0x00 };
		if (prefix > 128 || prefix < 64 || memcmp(a6.s6_addr, lab, 6) != 0)
			return "outside 2001:2::/48, the benchmarking range the lab uses (or shorter than /64)";
		if (a6.s6_addr[6] == 0 && a6.s6_addr[7] <= 1)
			return "overlaps the lab's links 2001:2::/64 and 2001:2:0:1::/64 (use 2001:2:0:100::/64)";
		return NULL;
	}
	return "not an IPv4 or IPv6 address";
}

/* Checks across keys of one resolved variant. */
static void check_resolved(const struct vctx *c)
{
	const struct sc_resolved *r = c->r;
	const char *topo = sc_value(r, "scenario", "topology", "pair");
	bool routed = strcmp(topo, "routed") == 0;
	const struct sc_setting *nat = sc_get(r, "scenario", "nat");
	if (nat && !routed)
		bad(c, nat, "applies to topology = routed only");
	for (size_t i = 0; i < r->nset; i++) {
		const struct sc_setting *s = r->set[i];
		if (strcmp(s->section, "router") == 0 && !routed)
			bad(c, s, "[router] applies to topology = routed only");
	}
	static const char *const globals[] = { "nf_conntrack_max", "nf_conntrack_buckets" };
	for (size_t i = 0; i < 2; i++) {
		const struct sc_setting *a = sc_get(r, "server", globals[i]), *b = sc_get(r, "router", globals[i]);
		if (a && b)
			bad(c, b, "also set in [server] (%s is one value for the whole host)", globals[i]);
	}
	const struct sc_setting *rp = sc_get(r, "server", "responder");
	bool ours = !rp || strcmp(rp->value, "ctstorm") == 0;
	for (size_t i = 0; !ours && i < r->nset; i++) {
		const struct sc_setting *s = r->set[i];
		if (strcmp(s->section, "server") == 0)
			for (const struct ct_opt *o = responder_cli_options; o->name; o++)
				if (strcmp(o->name, s->key) == 0)
					bad(c, s, "an option of ctstorm-responder, but responder = %s", rp->value);
	}
	if (!sc_get(r, "load", "qname") && !sc_get(r, "load", "datafile") && sc_get(r, "load", "qtype"))
		bad(c, sc_get(r, "load", "qtype"), "qtype without qname");
	const struct sc_setting *src = sc_get(r, "load", "src-range");
	const char *why = src ? src_range_problem(src->value) : NULL;
	bool lab6 = strcmp(sc_value(r, "scenario", "family", "ipv4"), "ipv6") == 0;
	if (why)
		bad(c, src, "'%s': %s", src->value, why);
	else if (src && lab6 != (strchr(src->value, ':') != NULL))
		bad(c, src, "'%s': the lab is %s (scenario family)", src->value, lab6 ? "IPv6" : "IPv4");
	bool canary = sc_get(r, "canary", "rate") != NULL;
	for (size_t i = 0; i < r->nexp; i++) {
		const struct sc_expect *x = r->exp[i];
		struct sc_setting at = { .section = (char *)"expect", .key = x->text, .line = x->line };
		if (strncmp(x->metric, "canary.", 7) == 0 && !canary)
			bad(c, &at, "no canary in this variant ([canary] rate = N)");
		if (strncmp(x->metric, "responder.", 10) == 0 && !ours)
			bad(c, &at, "responder.* counters come from ctstorm-responder only");
	}
}

int sc_validate(const struct sc_file *f, struct sc_errors *e)
{
	size_t before = e->n + e->dropped;
	bool have_scenario = false, have_load = false;
	for (size_t i = 0; i < f->nset; i++) {
		have_scenario |= strcmp(f->set[i].section, "scenario") == 0;
		have_load |= strcmp(f->set[i].section, "load") == 0;
	}
	if (!have_scenario)
		sc_error(e, "%s: no [scenario] section (name = ..., description = ...)", f->path);
	if (!have_load)
		sc_error(e, "%s: no [load] section (the loadgen's options: max-qps, limit, ...)", f->path);
	size_t nv = f->nvar ? f->nvar : 1;
	for (int quick = 0; quick <= 1; quick++) {
		for (size_t v = 0; v < nv; v++) {
			struct sc_resolved r;
			sc_resolve(f, f->nvar ? v : (size_t)-1, quick, &r);
			struct vctx c = { .f = f, .r = &r, .e = e };
			if (f->nvar)
				snprintf(c.where, sizeof c.where, " (variant %s%s)", r.name, quick ? ", --quick" : "");
			else if (quick)
				snprintf(c.where, sizeof c.where, " (--quick)");
			struct lg_cli lg = { 0 };
			struct sampler_cli sm = { 0 };
			struct responder_cli rsp = { 0 };
			for (size_t i = 0; i < r.nset; i++)
				check_setting(&c, r.set[i], &lg, &sm, &rsp);
			check_resolved(&c);
			ct_opt_free(lg_cli_options, &lg);
			ct_opt_free(sampler_cli_options, &sm);
			ct_opt_free(responder_cli_options, &rsp);
			sc_resolved_free(&r);
		}
	}
	return e->n + e->dropped == before ? 0 : -1;
}

int sc_select(const struct sc_file *f, const char *const *names, size_t n, size_t *out, size_t *nout,
	      struct sc_errors *e)
{
	*nout = 0;
	if (!f->nvar) {
		for (size_t i = 0; i < n; i++)
			if (strcmp(names[i], "default") != 0)
				sc_error(e, "--variant %s: %s has no [variant] sections", names[i], f->path);
		out[(*nout)++] = (size_t)-1;
		return e->n ? -1 : 0;
	}
	const char *cands[256];
	for (size_t i = 0; i < f->nvar && i < 256; i++)
		cands[i] = f->var[i].name;
	for (size_t i = 0; i < n; i++) {
		bool found = false;
		for (size_t v = 0; v < f->nvar; v++)
			found |= strcmp(f->var[v].name, names[i]) == 0;
		if (!found) {
			const char *hint = ct_did_you_mean(names[i], cands, f->nvar < 256 ? f->nvar : 256);
			sc_error(e, "--variant %s: no such variant in %s%s%s%s", names[i], f->path,
				 hint ? " (did you mean '" : "", hint ? hint : "", hint ? "'?)" : "");
		}
	}
	if (e->n)
		return -1;
	for (size_t v = 0; v < f->nvar; v++) {
		bool want = n == 0;
		for (size_t i = 0; i < n; i++)
			want |= strcmp(f->var[v].name, names[i]) == 0;
		if (want)
			out[(*nout)++] = v;
	}
	return 0;
}
