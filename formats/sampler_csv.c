#include "sampler_csv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const rf_col_names[RF_COL__N] = {
#define RF_COL_NAME(e, name) [RF_COL_##e] = name,
	RF_SAMPLER_COLUMNS(RF_COL_NAME)
#undef RF_COL_NAME
};

const char *rf_csv_header(void)
{
	static char header[1024];
	if (!*header) {
		size_t used = 0;
		for (int i = 0; i < RF_COL__N; i++)
			used += (size_t)snprintf(header + used, sizeof header - used, "%s%s", i ? "," : "", rf_col_names[i]);
		snprintf(header + used, sizeof header - used, "\n");
	}
	return header;
}

void rf_csv_open(struct rf_csv *c, const char *header)
{
	for (int i = 0; i < RF_COL__N; i++)
		c->col[i] = -1;
	int col = 0;
	for (const char *p = header; *p; col++) {
		size_t n = strcspn(p, ",\r\n");
		for (int i = 0; i < RF_COL__N; i++)
			if (strlen(rf_col_names[i]) == n && strncmp(p, rf_col_names[i], n) == 0)
				c->col[i] = col;
		if (p[n] != ',')
			break;
		p += n + 1;
	}
}

double rf_csv_get(const struct rf_csv *c, const char *line, enum rf_col col)
{
	int k = (unsigned)col < RF_COL__N ? c->col[col] : -1;
	if (k < 0)
		return NAN;
	const char *p = line;
	for (int i = 0; i < k; i++) {
		if (!(p = strchr(p, ',')))
			return NAN;
		p++;
	}
	char *end;
	double v = strtod(p, &end);
	return end == p ? NAN : v;
}
