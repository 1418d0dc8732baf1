#include "scenario.h"

#include "config.h"
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

static void expect_free(struct sc_expect *x)
{
	free(x->metric);
	free(x->text);
}

/* ---- parsing ---- */

/* The names of the plain sections (config.c's table), then, with
 * others, every section a file may hold: candidates for "did you mean". */
static size_t section_names(const char **out, bool all)
{
	size_t n = 0;
	for (const struct sc_section_kind *k = sc_sections; k->name; k++)
		out[n++] = k->name;
	if (all) {
		out[n++] = "expect";
		out[n++] = "quick";
		out[n++] = "variant NAME";
	}
	return n;
}

static const char *section_hint(const char *word, bool all)
{
	const char *names[32];
	return ct_did_you_mean(word, names, section_names(names, all));
}

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
	return sc_section_kind(s) != NULL;
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
		const char *hint = section_hint(section, true);
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
	const char *hint = section_hint(root, false);
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

/* An indented line continues the previous key's text (iptables, nft,
 * description); anything else indented is a mistake worth naming. */
static int continuation(struct parse *p, const char *name, const char *value)
{
	bool text_key = p->last && (strcmp(p->last->key, "iptables") == 0 || strcmp(p->last->key, "nft") == 0 ||
				    strcmp(p->last->key, "description") == 0);
	bool follows = p->last && strcmp(p->last_name, name) == 0 && p->last_line == p->line - 1;
	if (follows && !text_key) {
		sc_error(p->e, "%s:%d: an indented line continues '%s' from line %d; only iptables and nft texts "
			       "span lines",
			 p->name, p->line, name, p->last_line);
		p->last_line = p->line;
		return 1;
	}
	if (follows && value) {
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

/* SECTION.KEY = VALUE in a [variant] or [quick]: one override, once. */
static int override(struct parse *p, struct sc_setting **v, size_t *n, const char *where, const char *name,
		    const char *value)
{
	char sec[32];
	const char *key;
	if (split_override(p, name, sec, sizeof sec, &key) < 0)
		return 1;
	const struct sc_setting *d = find_dup(*v, *n, sec, key);
	if (d) {
		sc_error(p->e, "%s:%d: [%s] '%s' is set twice (first at line %d)", p->name, p->line, where, name, d->line);
		return 1;
	}
	p->last = push_setting(v, n, sec, key, value, p->line);
	remember(p, name);
	return 1;
}

/* A line of [variant NAME]: an expectation, its description or an override. */
static int variant_line(struct parse *p, const char *section, const char *name, const char *value, const char *expr)
{
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
	if (strcmp(name, "shows") == 0) {
		if (p->cur_var->shows_line)
			sc_error(p->e, "%s:%d: [%s] 'shows' is set twice (first at line %d)", p->name, p->line, section,
				 p->cur_var->shows_line);
		p->cur_var->shows = SC_SHOWS_DEFAULT;
		for (int k = SC_SHOWS_INCIDENT; k <= SC_SHOWS_BEHAVIOUR; k++)
			if (strcmp(value, sc_shows_words[k]) == 0)
				p->cur_var->shows = (enum sc_shows)k;
		if (!p->cur_var->shows)
			sc_error(p->e, "%s:%d: [%s] shows = '%s': expected incident, fix, failed-fix or behaviour", p->name,
				 p->line, section, value);
		p->cur_var->shows_line = p->line;
		return 1;
	}
	return override(p, &p->cur_var->set, &p->cur_var->nset, section, name, value);
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
	if (p->indented)
		return continuation(p, name, value);
	p->last = NULL;

	char expr[LINE_MAX_LEN + 8];
	snprintf(expr, sizeof expr, "%s%s%s", name, value ? "=" : "", value ? value : "");
	if (strcmp(section, "expect") == 0)
		return push_expect(p, &p->f->exp, &p->f->nexp, expr);
	if (p->cur_var)
		return variant_line(p, section, name, value, expr);
	if (!value) {
		sc_error(p->e, "%s:%d: [%s] '%s': expected KEY = VALUE%s", p->name, p->line, section, name,
			 strpbrk(name, "<>") ? " (expectations go in [expect] or a [variant])" : "");
		return 1;
	}
	if (strcmp(section, "quick") == 0)
		return override(p, &p->f->quick, &p->f->nquick, "quick", name, value);
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
		const char *hint = section_hint(sec, false);
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

const char *const sc_shows_words[] = { NULL, "incident", "fix", "failed-fix", "behaviour" };

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
	/* unless the variant says: "baseline" shows the incident, the file's
	 * one implicit variant a behaviour, every other variant a fix */
	r->shows = v && v->shows ? v->shows
		   : !v ? SC_SHOWS_BEHAVIOUR
		   : strcmp(v->name, "baseline") == 0 ? SC_SHOWS_INCIDENT : SC_SHOWS_FIX;
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

/* ---- sysctl keys ---- */

char *sc_sysctl_path(const char *key)
{
	char *p;
	/* a name, never a path: letters, digits, '_' (and '.' '-' between the
	 * parts of a dotted one) */
	bool conntrack = strncmp(key, "nf_conntrack_", 13) == 0;
	if (strspn(key, conntrack ? "abcdefghijklmnopqrstuvwxyz0123456789_"
				  : "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != strlen(key))
		return NULL;
	if (conntrack) {
		if (asprintf(&p, "/proc/sys/net/netfilter/%s", key) < 0)
			abort();
		return p;
	}
	if (strncmp(key, "net.", 4) != 0 || strstr(key, "..") || key[strlen(key) - 1] == '.')
		return NULL;
	if (asprintf(&p, "/proc/sys/%s", key) < 0)
		abort();
	for (char *q = p + 10; *q; q++)
		if (*q == '.')
			*q = '/';
	return p;
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
			char list[1024];
			size_t used = 0;
			for (size_t v = 0; v < f->nvar && used < sizeof list; v++)
				used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", v ? ", " : "", f->var[v].name);
			sc_error(e, "--variant %s: no such variant in %s (%s%s%sits variants: %s)", names[i], f->path,
				 hint ? "did you mean '" : "", hint ? hint : "", hint ? "'? " : "", list);
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

int sc_value_line(const struct sc_file *f, int key_line, int n)
{
	const char *p = f->text;
	for (int l = 1; p && l < key_line; l++)
		if ((p = strchr(p, '\n')))
			p++;
	if (!p)
		return 0;
	const char *eq = strchr(p, '='), *nl = strchr(p, '\n');
	if (!eq || (nl && eq > nl))
		return 0;
	eq += 1 + strspn(eq + 1, " \t");
	return key_line + n - (*eq && *eq != '\n' ? 1 : 0);
}
