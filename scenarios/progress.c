#include "progress.h"

#include "clock.h"
#include "sample.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

/* The live line reads what the children write, as they write it: new
 * complete lines of loadgen.jsonl and sampler.csv since the last look. */


static void tail_lines(const char *path, struct tail *t, void (*line)(void *, char *), void *arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	char buf[65536];
	ssize_t n;
	while ((n = pread(fd, buf, sizeof buf, t->off)) > 0) {
		t->off += n;
		for (ssize_t k = 0; k < n; k++) {
			if (buf[k] != '\n') {
				if (t->plen < sizeof t->part - 1)
					t->part[t->plen++] = buf[k];
				continue;
			}
			t->part[t->plen] = '\0';
			line(arg, t->part);
			t->plen = 0;
		}
	}
	close(fd);
}



static void progress_lg(void *arg, char *line)
{
	struct progress *p = arg;
	json_t *j = json_loads(line, 0, NULL);
	json_t *counts = json_object_get(j, "counts");
	double len = json_number_value(json_object_get(j, "len_s"));
	if (counts && len > 0) {
		double sent = json_number_value(json_object_get(counts, "sent"));
		double answered = json_number_value(json_object_get(counts, "answered"));
		p->sent += sent;
		p->answered += answered;
		p->timeouts += json_number_value(json_object_get(counts, "timeouts"));
		p->rate_sent = sent / len;
		p->rate_answered = answered / len;
	}
	json_decref(j);
}

static void progress_sm(void *arg, char *line)
{
	struct progress *p = arg;
	if (!p->header) {
		p->col_count = ct_csv_column(line, "count");
		p->col_max = ct_csv_column(line, "max");
		p->col_drop = ct_csv_column(line, "drop");
		p->col_kmsg = ct_csv_column(line, "kmsg_table_full");
		p->header = true;
		return;
	}
	double count = ct_csv_value(line, p->col_count), drop = ct_csv_value(line, p->col_drop),
	       kmsg = ct_csv_value(line, p->col_kmsg);
	if (isnan(count))
		return;
	p->count = count;
	p->max = ct_csv_value(line, p->col_max);
	if (!isnan(drop)) {
		if (!p->have_sample)
			p->drop0 = drop;
		p->drop = drop - p->drop0;
	}
	if (!isnan(kmsg))
		p->kmsg += kmsg; /* lines seen in this interval */
	p->have_sample = true;
}

void progress_line(struct progress *p, size_t idx, size_t n, const char *name, double t, double total)
{
	uint64_t now = ct_now_ns() / CT_NS_PER_MS;
	if (now < p->next_ms)
		return;
	p->next_ms = now + 250;
	char path[1200];
	snprintf(path, sizeof path, "%s/loadgen.jsonl", p->vdir);
	tail_lines(path, &p->lg, progress_lg, p);
	snprintf(path, sizeof path, "%s/sampler.csv", p->vdir);
	tail_lines(path, &p->sm, progress_sm, p);
	fprintf(stderr, "\r\033[K[%zu/%zu %s] %4.1f/%.*fs  %.0f qps sent, %.0f answered  timeouts %.0f/%.0f", idx + 1,
		n, name, t, total < 10 ? 1 : 0, total, p->rate_sent, p->rate_answered, p->timeouts, p->sent);
	if (p->have_sample)
		fprintf(stderr, "  conntrack %.0f/%.0f  drop %.0f  kmsg %.0f", p->count, p->max, p->drop, p->kmsg);
	fflush(stderr);
}

