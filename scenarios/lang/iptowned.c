#include "iptowned.h"

#include "ct_err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The tables and their built-in chains. */
static const struct {
	const char *name;
	const char *builtins[6];
} tables[] = {
	{ "filter", { "INPUT", "FORWARD", "OUTPUT", NULL } },
	{ "nat", { "PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", NULL } },
	{ "mangle", { "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING", NULL } },
	{ "raw", { "PREROUTING", "OUTPUT", NULL } },
	{ "security", { "INPUT", "FORWARD", "OUTPUT", NULL } },
};
#define NTABLES (sizeof tables / sizeof *tables)
#define MAX_CHAINS 12 /* a table's own chains */
#define MAX_NAME 28   /* the kernel's limit on a chain's name */

/* One table's sections (a table may come back: its parts add up), read
 * whole before its rules are rewritten, when every chain it declares is
 * known. */
struct section {
	int table; /* index in tables */
	unsigned used; /* built-ins given rules: bit per index in builtins */
	char chains[MAX_CHAINS][MAX_NAME + 1];
	size_t nchains;
	char **rules;
	int *lines;
	size_t nrules;
};

/* The next token of an iptables-restore line (double quotes kept whole):
 * its start and length; false at the end. */
static bool token(const char **p, const char **start, size_t *len)
{
	const char *s = *p + strspn(*p, " \t");
	if (!*s)
		return false;
	const char *e = s;
	bool quoted = false;
	for (; *e && (quoted || (*e != ' ' && *e != '\t')); e++) {
		if (*e == '\\' && quoted && e[1])
			e++;
		else if (*e == '"')
			quoted = !quoted;
	}
	*start = s;
	*len = (size_t)(e - s);
	*p = e;
	return true;
}

static bool token_is(const char *t, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(t, word, len) == 0;
}

static int builtin_index(int table, const char *t, size_t len)
{
	for (int i = 0; tables[table].builtins[i]; i++)
		if (token_is(t, len, tables[table].builtins[i]))
			return i;
	return -1;
}

static bool own_chain(const struct section *s, const char *t, size_t len)
{
	for (size_t i = 0; i < s->nchains; i++)
		if (token_is(t, len, s->chains[i]))
			return true;
	return false;
}

static bool name_ok(const char *t, size_t len)
{
	if (len == 0 || len + strlen(IPT_OWNED_PREFIX) > MAX_NAME)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(t[i] >= 'A' && t[i] <= 'Z') && !(t[i] >= 'a' && t[i] <= 'z') && !(t[i] >= '0' && t[i] <= '9') &&
		    t[i] != '_' && t[i] != '-')
			return false;
	return true;
}

static void section_free(struct section *s)
{
	for (size_t i = 0; i < s->nrules; i++)
		free(s->rules[i]);
	free(s->rules);
	free(s->lines);
	memset(s, 0, sizeof *s);
}

/* A rule of the section, its chain and jump targets renamed, to out. */
static int rewrite_rule(const struct section *s, const char *rule, int line, FILE *out, char *err, size_t errlen)
{
	const char *p = rule, *t = rule;
	size_t len = 0;
	token(&p, &t, &len); /* -A or -I, checked when read */
	fprintf(out, "%.*s", (int)len, t);
	const char *cmd = t;
	size_t cmdlen = len;
	if (!token(&p, &t, &len))
		return ct_err(err, errlen, "line %d: %.*s without a chain", line, (int)cmdlen, cmd);
	if (builtin_index(s->table, t, len) < 0 && !own_chain(s, t, len))
		return ct_err(err, errlen,
			      "line %d: chain %.*s: neither a built-in chain of *%s nor one the text declares (:%.*s - "
			      "[0:0])",
			      line, (int)len, t, tables[s->table].name, (int)len, t);
	fprintf(out, " " IPT_OWNED_PREFIX "%.*s", (int)len, t);
	bool target = false;
	while (token(&p, &t, &len)) {
		bool own = target && own_chain(s, t, len);
		fprintf(out, " %s%.*s", own ? IPT_OWNED_PREFIX : "", (int)len, t);
		target = token_is(t, len, "-j") || token_is(t, len, "--jump") || token_is(t, len, "-g") ||
			 token_is(t, len, "--goto");
	}
	fputc('\n', out);
	return 0;
}

/* The section's rewritten text to out, and what it owns into o. */
static int commit(const struct section *s, FILE *out, struct ipt_owned *o, char *err, size_t errlen)
{
	const char *const *b = tables[s->table].builtins;
	if (!s->used && !s->nchains) /* owns nothing: a rule here names a chain that is not there */
		return s->nrules ? rewrite_rule(s, s->rules[0], s->lines[0], out, err, errlen) : 0;
	fprintf(out, "*%s\n", tables[s->table].name);
	char *owned = o->t[o->n].chains, *jumped = o->t[o->n].builtins;
	size_t ol = sizeof o->t[o->n].chains, jl = sizeof o->t[o->n].builtins;
	snprintf(o->t[o->n].table, sizeof o->t[o->n].table, "%s", tables[s->table].name);
	*owned = *jumped = '\0';
	for (int i = 0; b[i]; i++)
		if (s->used & (1u << i)) {
			fprintf(out, ":" IPT_OWNED_PREFIX "%s - [0:0]\n", b[i]);
			snprintf(jumped + strlen(jumped), jl - strlen(jumped), "%s%s", *jumped ? "," : "", b[i]);
			snprintf(owned + strlen(owned), ol - strlen(owned), "%s" IPT_OWNED_PREFIX "%s", *owned ? "," : "", b[i]);
		}
	for (size_t i = 0; i < s->nchains; i++) {
		fprintf(out, ":" IPT_OWNED_PREFIX "%s - [0:0]\n", s->chains[i]);
		snprintf(owned + strlen(owned), ol - strlen(owned), "%s" IPT_OWNED_PREFIX "%s", *owned ? "," : "",
			 s->chains[i]);
	}
	for (size_t i = 0; i < s->nrules; i++)
		if (rewrite_rule(s, s->rules[i], s->lines[i], out, err, errlen) < 0)
			return -1;
	for (int i = 0; b[i]; i++)
		if (s->used & (1u << i))
			fprintf(out, "-I %s 1 -j " IPT_OWNED_PREFIX "%s\n", b[i], b[i]);
	if (!*jumped)
		snprintf(jumped, jl, "-");
	fputs("COMMIT\n", out);
	o->n++;
	return 0;
}

/* One line of the text: a table begun (*cur its section) or ended, or a
 * line of the current one. */
static int read_line(struct section *secs, struct section **cur, const char *l, int line, char *err, size_t errlen)
{
	const char *p = l, *t = l;
	size_t len = 0;
	struct section *s = *cur;
	if (*l == '*') {
		if (s)
			return ct_err(err, errlen, "line %d: %s inside *%s (COMMIT it first)", line, l, tables[s->table].name);
		for (size_t i = 0; i < NTABLES; i++)
			if (strcmp(l + 1, tables[i].name) == 0) {
				*cur = &secs[i];
				return 0;
			}
		return ct_err(err, errlen, "line %d: %s: not a table (filter, nat, mangle, raw, security)", line, l);
	}
	if (!s)
		return ct_err(err, errlen, "line %d: '%.40s' outside a table (*raw, *filter, ...)", line, l);
	if (strcmp(l, "COMMIT") == 0) {
		*cur = NULL;
		return 0;
	}
	if (*l == ':') {
		const char *name = l + 1, *pol = l, *e = name + strcspn(name, " \t");
		size_t nlen = (size_t)(e - name), plen = 0;
		p = e;
		if (!token(&p, &pol, &plen))
			return ct_err(err, errlen, "line %d: %s: a chain without a policy (- for a chain of its own)", line, l);
		if (builtin_index(s->table, name, nlen) >= 0) {
			if (!token_is(pol, plen, "ACCEPT") && !token_is(pol, plen, "-"))
				return ct_err(err, errlen,
					      "line %d: %.*s %.*s: the policy of a built-in chain is the host's; end "
					      "ctstorm's chain with the rule instead (-A %.*s -j %.*s)",
					      line, (int)nlen, name, (int)plen, pol, (int)nlen, name, (int)plen, pol);
			return 0;
		}
		if (!token_is(pol, plen, "-"))
			return ct_err(err, errlen, "line %d: %.*s: a chain of its own has the policy -", line, (int)nlen, name);
		if (!name_ok(name, nlen))
			return ct_err(err, errlen,
				      "line %d: chain %.*s: letters, digits, '_' and '-', at most %zu characters (it becomes "
				      IPT_OWNED_PREFIX "%.*s)",
				      line, (int)nlen, name, MAX_NAME - strlen(IPT_OWNED_PREFIX), (int)nlen, name);
		if (own_chain(s, name, nlen))
			return 0;
		if (s->nchains == MAX_CHAINS)
			return ct_err(err, errlen, "line %d: more than %d chains of its own in *%s", line, MAX_CHAINS,
				      tables[s->table].name);
		snprintf(s->chains[s->nchains++], MAX_NAME + 1, "%.*s", (int)nlen, name);
		return 0;
	}
	if (!token(&p, &t, &len) || *t != '-')
		return ct_err(err, errlen, "line %d: '%.40s' is not iptables-restore input", line, l);
	if (!token_is(t, len, "-A") && !token_is(t, len, "--append") && !token_is(t, len, "-I") &&
	    !token_is(t, len, "--insert"))
		return ct_err(err, errlen,
			      "line %d: %.*s: ctstorm only adds rules (-A, -I) on a real host, in chains it owns; it never "
			      "changes the host's",
			      line, (int)len, t);
	const char *c = l;
	size_t clen = 0;
	if (token(&p, &c, &clen)) {
		int b = builtin_index(s->table, c, clen);
		if (b >= 0)
			s->used |= 1u << b;
	}
	char **rules = realloc(s->rules, (s->nrules + 1) * sizeof *rules);
	int *lines = rules ? realloc(s->lines, (s->nrules + 1) * sizeof *lines) : NULL;
	if (!rules || !lines)
		abort();
	s->rules = rules;
	s->lines = lines;
	s->rules[s->nrules] = strdup(l);
	if (!s->rules[s->nrules])
		abort();
	s->lines[s->nrules++] = line;
	return 0;
}

char *ipt_owned_rewrite(const char *text, struct ipt_owned *o, char *err, size_t errlen)
{
	memset(o, 0, sizeof *o);
	struct section secs[NTABLES] = { 0 }, *cur = NULL;
	for (size_t i = 0; i < NTABLES; i++)
		secs[i].table = (int)i;
	int rc = 0, line = 0;
	for (const char *p = text; rc == 0 && *p;) {
		size_t n = strcspn(p, "\n");
		line++;
		char *l = strndup(p, n);
		if (!l)
			abort();
		p += n + (p[n] == '\n');
		char *b = l + strspn(l, " \t"), *e = b + strlen(b);
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (*b && *b != '#')
			rc = read_line(secs, &cur, b, line, err, errlen);
		free(l);
	}
	if (rc == 0 && cur)
		rc = ct_err(err, errlen, "the text ends inside *%s: COMMIT missing", tables[cur->table].name);
	char *buf = NULL;
	size_t size = 0;
	FILE *out = open_memstream(&buf, &size);
	if (!out)
		abort();
	for (size_t i = 0; i < NTABLES; i++) {
		if (rc == 0)
			rc = commit(&secs[i], out, o, err, errlen);
		section_free(&secs[i]);
	}
	if (rc == 0 && o->n == 0)
		rc = ct_err(err, errlen, "no rule in the text (*raw, -A PREROUTING ..., COMMIT)");
	fclose(out);
	if (rc < 0) {
		free(buf);
		memset(o, 0, sizeof *o);
		return NULL;
	}
	return buf;
}
