/* One option table per binary (fio-style).
 *
 * The table drives the command line (getopt_long), the defaults, the
 * --help text and, later, the scenario keys of the same names. Defaults
 * are text and go through the same parser as user input, so a default can
 * never disagree with what the help says. */
#ifndef CT_OPT_H
#define CT_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum ct_opt_type {
	CT_OPT_FLAG,      /* bool; takes no argument */
	CT_OPT_UINT,      /* uint64_t within [min, max] */
	CT_OPT_DURATION,  /* uint64_t nanoseconds within [min, max]: 10s, 250ms, 2m, 1h, 500us; a bare number is seconds */
	CT_OPT_STR,       /* const char * */
	CT_OPT_LIST,      /* struct ct_strlist; the option may be given many times */
	CT_OPT_ENUM,      /* unsigned: the index of the value in words[] */
	CT_OPT_RATE,      /* double, events per second, above 0 and at most max */
	CT_OPT_CUSTOM,    /* parse() converts the text into the field */
};

struct ct_strlist {
	const char **v;
	size_t n;
};

typedef int (*ct_opt_parse_fn)(const char *text, void *field, char *err, size_t errlen);

/* CT_OPT_CUSTOM: the field back as the text its parser reads ("" when
 * the option is not set); -1 when it does not fit in len. */
typedef int (*ct_opt_format_fn)(const void *field, char *buf, size_t len);

/* How an option's value is divided among load hosts that share one load
 * (ctstorm run with [hosts] client = ssh://A, ssh://B): a property of the
 * option, so that the runner's command-line builder needs no list. */
enum ct_opt_split {
	CT_SPLIT_SAME = 0, /* every host the whole value */
	CT_SPLIT_SCALE,    /* a rate times the host's share; a count too, rounded, at least 1 */
	CT_SPLIT_EXACT,    /* a count divided so that the parts add up to it (the remainder to the first hosts) */
	CT_SPLIT_FIRST,    /* the first host only (a canary); the others the default */
	CT_SPLIT_CUSTOM,   /* the option's split_fn (a profile's rates, a range's part) */
};

/* One host's part of the whole: host i of n, their weights w[0..n). */
struct ct_opt_part {
	unsigned i, n;
	const unsigned *w;
};

/* CT_SPLIT_CUSTOM: turns the whole value in field into host p->i's part. */
typedef int (*ct_opt_split_fn)(void *field, const struct ct_opt_part *p, char *err, size_t errlen);

struct ct_opt {
	const char *name;       /* long option name, also the scenario key */
	char short_name;        /* 0: none */
	enum ct_opt_type type;
	size_t offset;          /* offsetof(config struct, field) */
	const char *def;        /* default as text, or NULL for none */
	uint64_t min, max;      /* CT_OPT_UINT and CT_OPT_DURATION bounds; CT_OPT_RATE's max */
	const char *arg;        /* argument name shown in --help */
	const char *help;
	ct_opt_parse_fn parse;  /* CT_OPT_CUSTOM only */
	const char *const *words; /* CT_OPT_ENUM: the allowed words, NULL-terminated; others: completion hints */
	ct_opt_format_fn format; /* CT_OPT_CUSTOM: the value as text (optargv.h) */
	enum ct_opt_split split; /* among load hosts */
	ct_opt_split_fn split_fn; /* CT_SPLIT_CUSTOM */
};

#define CT_OPT_END { .name = NULL }

enum ct_opt_result {
	CT_OPT_OK = 0,
	CT_OPT_ERROR = -1,
	CT_OPT_HELP = 1,     /* --help was given */
	CT_OPT_VERSION = 2,  /* --version was given */
};

/* Applies every default, then parses argv into cfg. Positional arguments
 * are left in argv[*optind_out..argc). On error fills err and returns
 * CT_OPT_ERROR; the error names the option and the value. */
enum ct_opt_result ct_opt_parse(const struct ct_opt *table, void *cfg, int argc, char **argv,
				int *optind_out, char *err, size_t errlen);

/* Applies every default through the option's own parser. */
int ct_opt_defaults(const struct ct_opt *table, void *cfg, char *err, size_t errlen);

/* The entry of that name, or NULL. */
const struct ct_opt *ct_opt_find(const struct ct_opt *table, const char *name);

/* Sets one option by name, as a scenario file key would: the same parser,
 * the same messages as the command line. */
int ct_opt_set(const struct ct_opt *table, void *cfg, const char *name, const char *value,
	       char *err, size_t errlen);

/* Frees what parsing allocated (the lists). */
void ct_opt_free(const struct ct_opt *table, void *cfg);

/* Writes the --help text: synopsis line, then one entry per option. */
void ct_opt_usage(FILE *out, const char *prog, const char *synopsis, const char *about,
		  const struct ct_opt *table);

/* The start of every main(): parses argv into cfg (no positional
 * arguments allowed), prints --help or --version, or the error with a
 * hint; answers the hidden --man-section and --complete (optdoc.h). Returns true to go on; false with *rc the exit status. */
bool ct_opt_main(const struct ct_opt *table, void *cfg, int argc, char **argv, const char *prog,
		 const char *synopsis, const char *about, int *rc);

/* The "Options:" block of --help alone. */
void ct_opt_print_options(FILE *out, const struct ct_opt *table);

/* An option's argument as --help shows it (the enum's words joined by |;
 * "" for a flag), and its help with range, repetition and default. */
const char *ct_opt_arg_text(const struct ct_opt *o, char *buf, size_t len);
const char *ct_opt_help_text(const struct ct_opt *o, char *buf, size_t len);

/* Writes text word-wrapped to width, continuation lines indented. */
void ct_print_wrapped(FILE *out, const char *text, int indent, int width);

/* Prints "prog: error: msg" and "Try 'prog --help'."; returns CT_EXIT_USAGE. */
int ct_usage_error(const char *msg);

/* Parses a duration such as "10s", "250ms", "500us", "2m", "1h" or "3"
 * (seconds) into nanoseconds. */
int ct_parse_duration(const char *text, uint64_t *ns, char *err, size_t errlen);

/* yes/no, true/false, 1/0. */
int ct_parse_bool(const char *text, bool *out);

/* Parses a rate in events per second: a positive decimal number. */
int ct_parse_rate(const char *text, double max, double *out, char *err, size_t errlen);

/* Parses one of words[] (NULL-terminated) into its index; the error lists
 * them and suggests the nearest. */
int ct_parse_enum(const char *text, const char *const *words, unsigned *out, char *err, size_t errlen);

/* Parses a whole unsigned decimal number; rejects signs, spaces and junk. */
int ct_parse_uint(const char *text, uint64_t *out, char *err, size_t errlen);

/* The candidate closest to word by edit distance, if it is close enough
 * to be a plausible typo; NULL otherwise. */
const char *ct_did_you_mean(const char *word, const char *const *candidates, size_t n);

#endif
