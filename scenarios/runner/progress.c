#include "progress.h"

#include "clock.h"
#include "lg_jsonl.h"
#include "rf_names.h"

#include <fcntl.h>
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
	struct lg_interval_rec iv;
	if (!lg_interval_read(line, &iv) || iv.len_s <= 0)
		return;
	p->sent += iv.sent;
	p->answered += iv.answered;
	p->timeouts += iv.timeouts;
	p->rate_sent = iv.sent / iv.len_s;
	p->rate_answered = iv.answered / iv.len_s;
}

static void progress_sm(void *arg, char *line)
{
	struct progress *p = arg;
	if (!p->header) {
		rf_csv_open(&p->csv, line);
		p->header = true;
		return;
	}
	double count = rf_csv_get(&p->csv, line, RF_COL_COUNT), drop = rf_csv_get(&p->csv, line, RF_COL_DROP),
	       kmsg = rf_csv_get(&p->csv, line, RF_COL_KMSG_TABLE_FULL);
	if (isnan(count))
		return;
	p->count = count;
	p->max = rf_csv_get(&p->csv, line, RF_COL_MAX);
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
	snprintf(path, sizeof path, "%s/" RF_LOADGEN_JSONL, p->vdir);
	tail_lines(path, &p->lg, progress_lg, p);
	snprintf(path, sizeof path, "%s/" RF_SAMPLER_CSV, p->vdir);
	tail_lines(path, &p->sm, progress_sm, p);
	fprintf(stderr, "\r\033[K[%zu/%zu %s] %4.1f/%.*fs  %.0f qps sent, %.0f answered  timeouts %.0f/%.0f", idx + 1,
		n, name, t, total < 10 ? 1 : 0, total, p->rate_sent, p->rate_answered, p->timeouts, p->sent);
	if (p->have_sample)
		fprintf(stderr, "  conntrack %.0f/%.0f  drop %.0f  kmsg %.0f", p->count, p->max, p->drop, p->kmsg);
	fflush(stderr);
}

