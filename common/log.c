#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static const char *log_prog = "ctstorm";

void ct_log_init(const char *prog)
{
	log_prog = prog;
}

const char *ct_log_prog(void)
{
	return log_prog;
}

__attribute__((format(printf, 2, 0))) static void log_v(const char *level, const char *fmt, va_list ap)
{
	/* One fprintf per line keeps lines from threads whole. */
	char line[2048];
	vsnprintf(line, sizeof line, fmt, ap);
	fprintf(stderr, "%s: %s%s\n", log_prog, level, line);
}

void ct_log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v("error: ", fmt, ap);
	va_end(ap);
}

void ct_log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v("warning: ", fmt, ap);
	va_end(ap);
}

void ct_log_info(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_v("", fmt, ap);
	va_end(ap);
}
