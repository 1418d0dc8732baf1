/* The option table outside --help: a man page's OPTIONS section and
 * shell completion, so that neither can disagree with the parser.
 *
 * Every binary answers two hidden requests (ct_opt_hidden):
 *   PROG --man-section options   the OPTIONS section in roff, for the build
 *   PROG --complete 'LINE'       completions for the last word of LINE (the
 *                                command line up to the cursor), one a line,
 *                                for the bash completion script */
#ifndef CT_OPTDOC_H
#define CT_OPTDOC_H

#include "opt.h"

#include <stdbool.h>
#include <stdio.h>

/* Writes text escaped for roff: backslashes, minus signs, and a leading
 * dot or quote that would read as a request. */
void ct_roff_text(FILE *out, const char *text);

/* One .TP entry per option (and -h, --version), in the table's order. */
void ct_opt_man(FILE *out, const struct ct_opt *table);

/* A command line up to the cursor, split at blanks. w[n-1] is the word
 * being completed ("" after a blank); w[n-2], if any, the one before. */
struct ct_words {
	char **w;
	size_t n;
	char *buf;
};
void ct_words_split(const char *line, struct ct_words *out);
void ct_words_free(struct ct_words *ws);
static inline const char *ct_words_cur(const struct ct_words *ws)
{
	return ws->w[ws->n - 1];
}
static inline const char *ct_words_prev(const struct ct_words *ws)
{
	return ws->n >= 2 ? ws->w[ws->n - 2] : "";
}

/* Prints cand on a line of its own if it starts with prefix. */
void ct_complete_word(FILE *out, const char *prefix, const char *cand);

/* The option taking a value that word names (--name or -c), or NULL. */
const struct ct_opt *ct_opt_takes_value(const struct ct_opt *table, const char *word);

/* Completes what belongs to the table: an option's name, an enum's words
 * after it (also --name=word). Returns true when the word is the table's
 * (an option, or an option's value: nothing more should be offered);
 * false when it is a positional argument, left to the caller. */
bool ct_opt_complete(FILE *out, const struct ct_opt *table, const struct ct_words *ws);

/* The hidden requests above. Returns true (with *rc) if argv was one. */
bool ct_opt_hidden(const struct ct_opt *table, int argc, char **argv, int *rc);

#endif
