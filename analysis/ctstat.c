#include "ctstat.h"

#include "ct_err.h"

#include <string.h>

static const char *const names[CT_ST__COUNT] = {
	[CT_ST_FOUND] = "found",
	[CT_ST_INVALID] = "invalid",
	[CT_ST_INSERT] = "insert",
	[CT_ST_INSERT_FAILED] = "insert_failed",
	[CT_ST_DROP] = "drop",
	[CT_ST_EARLY_DROP] = "early_drop",
	[CT_ST_ERROR] = "error",
	[CT_ST_SEARCH_RESTART] = "search_restart",
	[CT_ST_CLASH_RESOLVE] = "clash_resolve",
	[CT_ST_CHAINTOOLONG] = "chaintoolong",
};

/* /proc column names that differ from ours, by kernel era. */
static const struct {
	const char *proc;
	enum ct_stat_field f;
} aliases[] = {
	{ "icmp_error", CT_ST_ERROR },
	{ "clashres", CT_ST_CLASH_RESOLVE },
	{ "chainlength", CT_ST_CHAINTOOLONG },
};

const char *ct_stat_name(enum ct_stat_field f)
{
	return (unsigned)f < CT_ST__COUNT ? names[f] : "?";
}

static int field_of(const char *word, size_t len)
{
	for (int i = 0; i < CT_ST__COUNT; i++)
		if (strlen(names[i]) == len && memcmp(names[i], word, len) == 0)
			return i;
	for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
		if (strlen(aliases[i].proc) == len && memcmp(aliases[i].proc, word, len) == 0)
			return (int)aliases[i].f;
	return -1;
}

#define MAX_COLUMNS 64
#define COL_ENTRIES -2

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int ct_stat_parse_proc(const char *text, size_t len, struct ct_ctstat *out, uint64_t *entries,
		       char *err, size_t errlen)
{
	int cols[MAX_COLUMNS];
	int ncols = 0, line = 1, cpus = 0;
	size_t p = 0;

	memset(out, 0, sizeof *out);
	*entries = CT_STAT_NO_ENTRIES;
	/* the header: column names separated by blanks */
	while (p < len && text[p] != '\n') {
		while (p < len && (text[p] == ' ' || text[p] == '\t'))
			p++;
		size_t start = p;
		while (p < len && text[p] != ' ' && text[p] != '\t' && text[p] != '\n')
			p++;
		if (p == start)
			break;
		if (ncols == MAX_COLUMNS)
			return ct_err(err, errlen, "line 1: more than %d columns", MAX_COLUMNS);
		if (p - start == 7 && memcmp(text + start, "entries", 7) == 0)
			cols[ncols] = COL_ENTRIES;
		else
			cols[ncols] = field_of(text + start, p - start);
		if (cols[ncols] >= 0)
			out->have[cols[ncols]] = true;
		ncols++;
	}
	if (ncols == 0)
		return ct_err(err, errlen, "line 1: no column names");

	/* one line per CPU */
	while (p < len) {
		p++; /* the newline */
		line++;
		if (p >= len)
			break;
		int col = 0;
		while (p < len && text[p] != '\n') {
			while (p < len && (text[p] == ' ' || text[p] == '\t'))
				p++;
			if (p >= len || text[p] == '\n')
				break;
			uint64_t v = 0;
			int digits = 0;
			for (int h; p < len && (h = hexval(text[p])) >= 0; p++, digits++) {
				if (digits == 16)
					return ct_err(err, errlen, "line %d: number longer than 64 bits", line);
				v = v << 4 | (uint64_t)h;
			}
			if (digits == 0 || (p < len && text[p] != ' ' && text[p] != '\t' && text[p] != '\n'))
				return ct_err(err, errlen, "line %d, column %d: not a hex number", line, col + 1);
			if (col >= ncols)
				return ct_err(err, errlen, "line %d: more values than the %d columns", line, ncols);
			if (cols[col] == COL_ENTRIES)
				*entries = v;
			else if (cols[col] >= 0)
				out->v[cols[col]] += v;
			col++;
		}
		if (col == 0)
			continue; /* a blank line */
		if (col != ncols)
			return ct_err(err, errlen, "line %d: %d values for %d columns", line, col, ncols);
		cpus++;
	}
	if (cpus == 0)
		return ct_err(err, errlen, "no per-CPU lines after the header");
	return 0;
}

void ct_stat_delta(const struct ct_ctstat *a, const struct ct_ctstat *b, struct ct_ctstat *out)
{
	for (int i = 0; i < CT_ST__COUNT; i++) {
		out->v[i] = b->v[i] >= a->v[i] ? b->v[i] - a->v[i] : 0;
		out->have[i] = a->have[i] && b->have[i];
	}
}
