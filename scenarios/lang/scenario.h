/* Scenario files: INI (libinih), fio-style.
 *
 *   [scenario]        name, description, seed, topology, nat, family, settle, tail
 *   [server]          the responder's long options, responder = ctstorm|nsd|knot, zone,
 *                     and the node keys below
 *   [router]          node keys (topology = routed)
 *   [client]          node keys
 *   [load]            ctstorm-loadgen's long options
 *   [canary]          rate
 *   [sampler]         ctstorm-sampler's long options
 *   [probe]           hold, budget, precision (ctstorm probe)
 *   [expect]          expectations: METRIC OP NUMBER, e.g. "canary.loss_pct > 20"
 *   [quick]           SECTION.KEY = VALUE overrides applied under --quick
 *   [variant NAME]    description, SECTION.KEY = VALUE overrides, expectations
 *
 * Node keys: firewall = PRESET, iptables = TEXT, nft = TEXT (indented
 * continuation lines), iptables-file, nft-file, nf_conntrack_max and
 * nf_conntrack_buckets (global, a number or "formula"), any other
 * nf_conntrack_* (per namespace, /proc/sys/net/netfilter) and net.* sysctls
 * (per namespace, by their dotted name).
 *
 * Parsing never touches the host: it reads the file, the zone files it
 * names and /proc/sys (to know which sysctls exist). Every error names the
 * file, the line and the key. */
#ifndef SC_SCENARIO_H
#define SC_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sc_op { SC_LT, SC_LE, SC_GT, SC_GE, SC_EQ, SC_NE };

struct sc_setting {
	char *section; /* the section it applies to: "server", "load", ... */
	char *key;
	char *value;
	int line;      /* 0: from the command line (--set) */
};

struct sc_expect {
	char *metric;  /* "canary.loss_pct" */
	enum sc_op op;
	double value;
	char *text;    /* normalised: "canary.loss_pct > 20" */
	int line;
};

/* What a variant's expectations describe, for the report's verdict word:
 * the incident (pass: "reproduced"), a fix (pass: "held"), a fix known
 * not to work (pass: "did not hold", as expected), or a behaviour of the
 * kernel (pass: "as expected"). */
enum sc_shows { SC_SHOWS_DEFAULT, SC_SHOWS_INCIDENT, SC_SHOWS_FIX, SC_SHOWS_FAILED_FIX, SC_SHOWS_BEHAVIOUR };
extern const char *const sc_shows_words[]; /* by enum value; [0] is NULL */

struct sc_variant {
	char *name;
	char *description;
	enum sc_shows shows; /* as written; sc_resolve applies the default */
	int shows_line;
	int line;
	struct sc_setting *set;
	size_t nset;
	struct sc_expect *exp;
	size_t nexp;
};

struct sc_file {
	char *path;
	char *dir;     /* relative paths in the file are relative to this */
	char *text;    /* the file as read, for the results' manifest */
	struct sc_setting *set;   /* the plain sections, in file order */
	size_t nset;
	struct sc_setting *quick; /* [quick] */
	size_t nquick;
	struct sc_setting *cli;   /* --set */
	size_t ncli;
	struct sc_expect *exp;    /* [expect] */
	size_t nexp;
	struct sc_variant *var;
	size_t nvar;
};

#define SC_MAX_ERRORS 20

struct sc_errors {
	char *msg[SC_MAX_ERRORS];
	size_t n;
	size_t dropped;
};

void sc_error(struct sc_errors *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sc_errors_print(const struct sc_errors *e, const char *prog);
void sc_errors_free(struct sc_errors *e);

/* Reads and parses a scenario; then sc_validate checks it. Errors are
 * appended to e (return -1). */
int sc_parse_file(const char *path, struct sc_file *f, struct sc_errors *e);
/* The same from memory (tests and the fuzz target); name is used in messages. */
int sc_parse_string(const char *text, const char *name, struct sc_file *f, struct sc_errors *e);
/* Adds a --set SECTION.KEY=VALUE override (applied after everything else). */
int sc_add_cli_set(struct sc_file *f, const char *arg, struct sc_errors *e);
/* Sets (or replaces) a --set style override: the probe's rate per step.
 * Adding one may move the list: resolve (sc_resolve) after the last add;
 * replacing a value keeps a resolution valid. */
void sc_set_override(struct sc_file *f, const char *section, const char *key, const char *value);
void sc_file_free(struct sc_file *f);

/* One variant as it will run: the base settings, then [quick] (when quick),
 * then the variant's own, then --set; last one wins. */
struct sc_resolved {
	const struct sc_file *file;
	const char *name;
	const char *description;
	enum sc_shows shows; /* never SC_SHOWS_DEFAULT */
	bool quick;
	const struct sc_setting **set; /* one per (section, key) */
	size_t nset;
	const struct sc_expect **exp;  /* [expect] and the variant's */
	size_t nexp;
};

/* vi: index into f->var, or (size_t)-1 when the file has no variants. */
int sc_resolve(const struct sc_file *f, size_t vi, bool quick, struct sc_resolved *r);
void sc_resolved_free(struct sc_resolved *r);
/* NULL when absent, or unset by an empty override (--set load.max-qps=). */
const struct sc_setting *sc_get(const struct sc_resolved *r, const char *section, const char *key);
const char *sc_value(const struct sc_resolved *r, const char *section, const char *key, const char *def);

/* Validates every key and value of every variant in both forms (quick and
 * full) by the parsers the run uses (check.c); errors name file:line and
 * key. Touches nothing. */
int sc_validate(const struct sc_file *f, struct sc_errors *e);

/* The variants to run: names from --variant (all when none), in file
 * order. Unknown names are errors with a suggestion. out[] gets indices
 * ((size_t)-1 for the implicit single variant). */
int sc_select(const struct sc_file *f, const char *const *names, size_t n, size_t *out, size_t *nout,
	      struct sc_errors *e);
const char *sc_variant_name(const struct sc_file *f, size_t vi);

/* "formula" for nf_conntrack_max: RAM / 16384 / (pointer bits / 32), as
 * seed 004; for nf_conntrack_buckets: that max / 8. */
uint64_t sc_formula(uint64_t ram_bytes, unsigned pointer_bits);
uint64_t sc_formula_max(void);

/* "canary.loss_pct > 20" -> expectation; returns -1 with why. */
int sc_expect_parse(const char *text, struct sc_expect *x, char *why, size_t whylen);
bool sc_expect_holds(const struct sc_expect *x, double measured);
const char *sc_op_str(enum sc_op op);

/* "nf_conntrack_udp_timeout" or "net.ipv4.ip_local_port_range" -> its
 * /proc/sys path (malloc'd); NULL when the key is neither. */
char *sc_sysctl_path(const char *key);

/* Where line n (1-based) of a multi-line value (iptables, nft) set on
 * key_line stands in f: the text starts on the key's own line when
 * something follows its '=', else on the next. 0 when it cannot tell. */
int sc_value_line(const struct sc_file *f, int key_line, int n);

/* Resolves a path written in the scenario against its folder. */
char *sc_path(const struct sc_file *f, const char *value);

#endif
