/* A growing, NULL-terminated argument vector: a command line built piece
 * by piece, for execv or for an agent's spawn request. */
#ifndef CT_ARGV_H
#define CT_ARGV_H

#include <stddef.h>

struct ct_argv {
	char **v; /* NULL-terminated once one item is in */
	size_t n, cap;
};

/* Appends one item, printf-formatted (aborts when out of memory, as a
 * command line of a few dozen items cannot fail otherwise). */
void ct_argv_add(struct ct_argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends every item of b. */
void ct_argv_cat(struct ct_argv *a, const struct ct_argv *b);

void ct_argv_free(struct ct_argv *a);

#endif
