#include "argv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void grow(struct ct_argv *a)
{
	if (a->n + 2 <= a->cap)
		return;
	a->cap = a->cap ? a->cap * 2 : 32;
	a->v = realloc(a->v, a->cap * sizeof *a->v);
	if (!a->v)
		abort();
}

void ct_argv_add(struct ct_argv *a, const char *fmt, ...)
{
	grow(a);
	va_list ap;
	va_start(ap, fmt);
	if (vasprintf(&a->v[a->n++], fmt, ap) < 0)
		abort();
	va_end(ap);
	a->v[a->n] = NULL;
}

void ct_argv_cat(struct ct_argv *a, const struct ct_argv *b)
{
	for (size_t i = 0; i < b->n; i++)
		ct_argv_add(a, "%s", b->v[i]);
}

void ct_argv_free(struct ct_argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}
