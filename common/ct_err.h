/* Error reporting convention shared by every ctstorm module.
 *
 * Library functions never print. They return -1 (or NULL) and, when the
 * caller passed a buffer, describe what failed and where in it. The caller
 * decides whether to print, retry or exit. */
#ifndef CT_ERR_H
#define CT_ERR_H

#include <stddef.h>

#define CT_ERRLEN 512

/* Exit codes of every ctstorm binary (DESIGN.md, "Conventions"). */
enum {
	CT_EXIT_OK = 0,      /* success */
	CT_EXIT_FAIL = 1,    /* the measured thing failed, or a runtime fault */
	CT_EXIT_USAGE = 2,   /* bad usage or bad input; nothing was changed */
};

/* Formats into err (if non-NULL) and returns -1, so callers can write
 * `return ct_err(err, errlen, "...", ...);`. */
int ct_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
