#include "sample.h"

#include "sampler_csv.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

void ct_summary_add(struct ct_summary *s, const struct ct_sample *x)
{
	if (s->samples == 0)
		s->first = x->st;
	s->last = x->st;
	s->samples++;
	s->max = x->max;
	if (x->count > s->peak_count || s->samples == 1) {
		s->peak_count = x->count;
		s->peak_t_s = x->t_s;
	}
	s->kmsg_table_full += x->kmsg_table_full;
	s->kmsg_suppressed += x->kmsg_suppressed;
	if (s->first_drop_s < 0 &&
	    (x->st.v[CT_ST_DROP] > s->first.v[CT_ST_DROP] || x->kmsg_table_full > 0))
		s->first_drop_s = x->t_s;
	if (x->has_table) {
		s->table_dumps++;
		s->table_dump_ms_sum += x->table.dump_ms;
		if (x->table.dump_ms > s->table_dump_ms_max)
			s->table_dump_ms_max = x->table.dump_ms;
		if (x->table.total > s->table_entries_max)
			s->table_entries_max = x->table.total;
	}
}

void ct_csv_header(FILE *out)
{
	fputs(rf_csv_header(), out);
}

/* A sample's row is built in memory and written once: an fprintf per field
 * would take the stream's lock and parse a format each time, which at a
 * 1 ms interval is most of what writing costs. */
struct line {
	char b[4096]; /* a row is under 2500 bytes: 45 fields, JSON names included */
	size_t n;
};

static void l_mem(struct line *l, const char *s, size_t k)
{
	if (k > sizeof l->b - 1 - l->n)
		k = sizeof l->b - 1 - l->n;
	memcpy(l->b + l->n, s, k);
	l->n += k;
}

static void l_str(struct line *l, const char *s)
{
	l_mem(l, s, strlen(s));
}

static void l_u64(struct line *l, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof tmp;
	do
		tmp[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	l_mem(l, tmp + i, sizeof tmp - i);
}

/* v with d decimals (d <= 6), as printf's %.*f for the values a sample
 * holds: times and durations, not negative, far below 2^53. */
static void l_fixed(struct line *l, double v, int d)
{
	static const uint64_t scale[] = { 1, 10, 100, 1000, 10000, 100000, 1000000 };
	if (!(v >= 0 && v < 1e12)) {
		char tmp[64];
		int k = snprintf(tmp, sizeof tmp, "%.*f", d, v);
		l_mem(l, tmp, k > 0 ? (size_t)k : 0);
		return;
	}
	/* rounded as printf rounds the exact value: in extended precision, so
	 * that the double nearest 0.0086415 (just below the half) rounds down,
	 * and an exact half (.0625 to 3 places) to even */
	long double u = (long double)v * (long double)scale[d], fl = floorl(u);
	uint64_t units = (uint64_t)fl;
	if (u - fl > 0.5L || (u - fl == 0.5L && units % 2 == 1))
		units++;
	l_u64(l, units / scale[d]);
	if (d == 0)
		return;
	char frac[8];
	uint64_t f = units % scale[d];
	for (int k = d - 1; k >= 0; k--, f /= 10)
		frac[k] = (char)('0' + f % 10);
	l_mem(l, ".", 1);
	l_mem(l, frac, (size_t)d);
}

static void l_write(const struct line *l, FILE *out)
{
	fwrite(l->b, 1, l->n, out);
}

void ct_csv_row(FILE *out, const struct ct_sample *x)
{
	struct line l = { .n = 0 };
	l_fixed(&l, x->t_s, 6);
	l_str(&l, ",");
	l_fixed(&l, x->wall_s, 3);
	const uint64_t head[] = { x->count, x->max, x->buckets };
	for (size_t i = 0; i < 3; i++) {
		l_str(&l, ",");
		l_u64(&l, head[i]);
	}
	for (int i = 0; i < CT_ST__COUNT; i++) {
		l_str(&l, ",");
		if (x->st.have[i])
			l_u64(&l, x->st.v[i]); /* not reported by this kernel: empty, never a fake 0 */
	}
	l_str(&l, ",");
	if (x->have_kmsg) {
		l_u64(&l, x->kmsg_table_full);
		l_str(&l, ",");
		l_u64(&l, x->kmsg_suppressed);
	} else {
		l_str(&l, ",");
	}
	if (x->has_table) {
		const struct ct_table *t = &x->table;
		const uint64_t v[] = { t->total, t->udp_unreplied, t->udp_replied, t->udp_assured };
		for (size_t i = 0; i < 4; i++) {
			l_str(&l, ",");
			l_u64(&l, v[i]);
		}
		for (int i = 1; i < CT_TCP_STATES; i++) {
			l_str(&l, ",");
			l_u64(&l, t->tcp[i]);
		}
		l_str(&l, ",");
		l_u64(&l, t->icmp);
		l_str(&l, ",");
		l_u64(&l, t->other);
		l_str(&l, ",");
		l_fixed(&l, t->dump_ms, 3);
	} else {
		for (int i = 0; i < 4 + CT_TCP_STATES - 1 + 3; i++)
			l_str(&l, ",");
	}
	l_str(&l, "\n");
	l_write(&l, out);
}

static json_t *stats_json(const struct ct_ctstat *st)
{
	json_t *o = json_object();
	for (int i = 0; i < CT_ST__COUNT; i++)
		json_object_set_new(o, ct_stat_name(i), st->have[i] ? json_integer((json_int_t)st->v[i]) : json_null());
	return o;
}

/* Written as ct_csv_row is, with no JSON tree per sample: at 1 ms,
 * building and freeing one would cost more than the sample. */
void ct_sample_jsonl(FILE *out, const struct ct_sample *x)
{
	struct line l = { .n = 0 };
	l_str(&l, "{\"t_s\":");
	l_fixed(&l, x->t_s, 6);
	l_str(&l, ",\"wall_s\":");
	l_fixed(&l, x->wall_s, 3);
	l_str(&l, ",\"count\":");
	l_u64(&l, x->count);
	l_str(&l, ",\"max\":");
	l_u64(&l, x->max);
	l_str(&l, ",\"buckets\":");
	l_u64(&l, x->buckets);
	l_str(&l, ",\"stat\":{");
	for (int i = 0; i < CT_ST__COUNT; i++) {
		l_str(&l, i ? ",\"" : "\"");
		l_str(&l, ct_stat_name(i));
		l_str(&l, "\":");
		if (x->st.have[i])
			l_u64(&l, x->st.v[i]);
		else
			l_str(&l, "null"); /* not reported by this kernel */
	}
	l_str(&l, "}");
	if (x->have_kmsg) {
		l_str(&l, ",\"kmsg\":{\"table_full\":");
		l_u64(&l, x->kmsg_table_full);
		l_str(&l, ",\"suppressed\":");
		l_u64(&l, x->kmsg_suppressed);
		l_str(&l, "}");
	}
	if (x->has_table) {
		const struct ct_table *t = &x->table;
		l_str(&l, ",\"table\":{\"total\":");
		l_u64(&l, t->total);
		l_str(&l, ",\"udp\":{\"unreplied\":");
		l_u64(&l, t->udp_unreplied);
		l_str(&l, ",\"replied\":");
		l_u64(&l, t->udp_replied);
		l_str(&l, ",\"assured\":");
		l_u64(&l, t->udp_assured);
		l_str(&l, "},\"tcp\":{");
		for (int i = 1; i < CT_TCP_STATES; i++) {
			l_str(&l, i > 1 ? ",\"" : "\"");
			l_str(&l, ct_tcp_state_name(i));
			l_str(&l, "\":");
			l_u64(&l, t->tcp[i]);
		}
		l_str(&l, "},\"icmp\":");
		l_u64(&l, t->icmp);
		l_str(&l, ",\"other\":");
		l_u64(&l, t->other);
		l_str(&l, ",\"dump_ms\":");
		l_fixed(&l, t->dump_ms, 3);
		l_str(&l, "}");
	}
	l_str(&l, "}\n");
	l_write(&l, out);
}

json_t *ct_summary_json(const struct ct_summary *s)
{
	struct ct_ctstat d;
	ct_stat_delta(&s->first, &s->last, &d);
	json_t *o = json_pack("{s:I, s:s, s:f, s:f, s:I, s:I, s:I, s:f, s:I, s:o, s:o, s:o}",
			      "netns_inode", (json_int_t)s->netns_inode, "source", s->source, "interval_s",
			      s->interval_s, "duration_s", s->duration_s, "samples", (json_int_t)s->samples,
			      "missed_samples", (json_int_t)s->missed_samples, "peak_count",
			      (json_int_t)s->peak_count, "peak_t_s", s->peak_t_s, "max", (json_int_t)s->max,
			      "first_drop_s", s->first_drop_s >= 0 ? json_real(s->first_drop_s) : json_null(),
			      "totals", stats_json(&d), "last", stats_json(&s->last));
	if (s->have_kmsg)
		json_object_set_new(o, "kmsg", json_pack("{s:I, s:I, s:I}", "table_full",
							 (json_int_t)s->kmsg_table_full, "suppressed",
							 (json_int_t)s->kmsg_suppressed, "lost", (json_int_t)s->kmsg_lost));
	else
		json_object_set_new(o, "kmsg", json_null());
	if (s->table_dumps)
		json_object_set_new(o, "table_dumps",
				    json_pack("{s:I, s:f, s:f, s:I}", "count", (json_int_t)s->table_dumps, "mean_ms",
					      s->table_dump_ms_sum / (double)s->table_dumps, "max_ms",
					      s->table_dump_ms_max, "entries_max", (json_int_t)s->table_entries_max));
	if (s->fill_requested)
		json_object_set_new(o, "fill", json_pack("{s:I, s:I, s:I}", "requested", (json_int_t)s->fill_requested,
							 "created", (json_int_t)s->fill_created, "removed",
							 (json_int_t)s->fill_removed));
	return o;
}

struct text {
	char *buf;
	size_t cap, len;
};

__attribute__((format(printf, 2, 3))) static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, t->cap > t->len ? t->cap - t->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len = t->len + (size_t)n < t->cap ? t->len + (size_t)n : t->cap ? t->cap - 1 : 0;
}

/* A label value in the exposition format: backslash, quote and newline
 * escaped. */
static void label_value(char *out, size_t len, const char *v)
{
	size_t n = 0;
	for (; *v && n + 3 < len; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			out[n++] = '\\';
			out[n++] = *v == '\n' ? 'n' : *v;
		} else {
			out[n++] = *v;
		}
	}
	out[n] = '\0';
}

size_t ct_prom_text(char *buf, size_t cap, const char *netns, const struct ct_sample *x, const struct ct_summary *s)
{
	struct text t = { buf, cap, 0 };
	char lv[256], lab[300];
	label_value(lv, sizeof lv, netns);
	snprintf(lab, sizeof lab, "{netns=\"%s\"}", lv);
	if (cap)
		buf[0] = '\0';
	put(&t, "# HELP ctstorm_conntrack_entries Conntrack entries in the namespace (node_nf_conntrack_entries).\n"
		"# TYPE ctstorm_conntrack_entries gauge\nctstorm_conntrack_entries%s %" PRIu64 "\n",
	    lab, x->count);
	put(&t, "# HELP ctstorm_conntrack_entries_limit nf_conntrack_max (node_nf_conntrack_entries_limit).\n"
		"# TYPE ctstorm_conntrack_entries_limit gauge\nctstorm_conntrack_entries_limit%s %" PRIu64 "\n",
	    lab, x->max);
	put(&t, "# HELP ctstorm_conntrack_buckets nf_conntrack_buckets, the hash table's size.\n"
		"# TYPE ctstorm_conntrack_buckets gauge\nctstorm_conntrack_buckets%s %" PRIu64 "\n",
	    lab, x->buckets);
	for (int i = 0; i < CT_ST__COUNT; i++) {
		if (!x->st.have[i])
			continue; /* not reported by this kernel: absent, never a fake 0 */
		const char *n = ct_stat_name(i);
		put(&t, "# HELP ctstorm_conntrack_stat_%s_total Conntrack statistic '%s', summed over CPUs.\n"
			"# TYPE ctstorm_conntrack_stat_%s_total counter\nctstorm_conntrack_stat_%s_total%s %" PRIu64 "\n",
		    n, n, n, n, lab, x->st.v[i]);
	}
	if (s->have_kmsg) {
		put(&t, "# HELP ctstorm_kmsg_table_full_total Kernel log 'table full, dropping packet' lines for this namespace since the sampler started.\n"
			"# TYPE ctstorm_kmsg_table_full_total counter\nctstorm_kmsg_table_full_total%s %" PRIu64 "\n",
		    lab, s->kmsg_table_full);
		put(&t, "# HELP ctstorm_kmsg_suppressed_total Kernel log callbacks suppressed by rate limiting (host-wide) since the sampler started.\n"
			"# TYPE ctstorm_kmsg_suppressed_total counter\nctstorm_kmsg_suppressed_total%s %" PRIu64 "\n",
		    lab, s->kmsg_suppressed);
	}
	return t.len;
}
