#include "sample.h"

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
	fputs("t_s,wall_s,count,max,buckets", out);
	for (int i = 0; i < CT_ST__COUNT; i++)
		fprintf(out, ",%s", ct_stat_name(i));
	fputs(",kmsg_table_full,kmsg_suppressed,table_total,udp_unreplied,udp_replied,udp_assured", out);
	for (int i = 1; i < CT_TCP_STATES; i++)
		fprintf(out, ",tcp_%s", ct_tcp_state_name(i));
	fputs(",icmp,other,table_dump_ms\n", out);
}

void ct_csv_row(FILE *out, const struct ct_sample *x)
{
	fprintf(out, "%.6f,%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64, x->t_s, x->wall_s, x->count, x->max,
		x->buckets);
	for (int i = 0; i < CT_ST__COUNT; i++) {
		if (x->st.have[i])
			fprintf(out, ",%" PRIu64, x->st.v[i]);
		else
			fputs(",", out); /* not reported by this kernel: empty, never a fake 0 */
	}
	if (x->have_kmsg)
		fprintf(out, ",%" PRIu64 ",%" PRIu64, x->kmsg_table_full, x->kmsg_suppressed);
	else
		fputs(",,", out);
	if (x->has_table) {
		const struct ct_table *t = &x->table;
		fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64, t->total, t->udp_unreplied,
			t->udp_replied, t->udp_assured);
		for (int i = 1; i < CT_TCP_STATES; i++)
			fprintf(out, ",%" PRIu64, t->tcp[i]);
		fprintf(out, ",%" PRIu64 ",%" PRIu64 ",%.3f\n", t->icmp, t->other, t->dump_ms);
	} else {
		for (int i = 0; i < 4 + CT_TCP_STATES - 1 + 3; i++)
			fputc(',', out);
		fputc('\n', out);
	}
}

int ct_csv_column(const char *header, const char *name)
{
	size_t len = strlen(name);
	int col = 0;
	for (const char *p = header; *p; col++) {
		size_t n = strcspn(p, ",\r\n");
		if (n == len && strncmp(p, name, len) == 0)
			return col;
		if (p[n] != ',')
			break;
		p += n + 1;
	}
	return -1;
}

double ct_csv_value(const char *line, int col)
{
	if (col < 0)
		return NAN;
	const char *p = line;
	for (int i = 0; i < col; i++) {
		if (!(p = strchr(p, ',')))
			return NAN;
		p++;
	}
	char *end;
	double v = strtod(p, &end);
	return end == p ? NAN : v;
}

static json_t *stats_json(const struct ct_ctstat *st)
{
	json_t *o = json_object();
	for (int i = 0; i < CT_ST__COUNT; i++)
		json_object_set_new(o, ct_stat_name(i), st->have[i] ? json_integer((json_int_t)st->v[i]) : json_null());
	return o;
}

/* Written straight to the stream, as ct_csv_row is: at a 1 ms interval a
 * JSON tree built and freed per sample would cost more than the sample. */
void ct_sample_jsonl(FILE *out, const struct ct_sample *x)
{
	fprintf(out, "{\"t_s\":%.6f,\"wall_s\":%.3f,\"count\":%" PRIu64 ",\"max\":%" PRIu64 ",\"buckets\":%" PRIu64
		     ",\"stat\":{",
		x->t_s, x->wall_s, x->count, x->max, x->buckets);
	for (int i = 0; i < CT_ST__COUNT; i++) {
		fprintf(out, "%s\"%s\":", i ? "," : "", ct_stat_name(i));
		if (x->st.have[i])
			fprintf(out, "%" PRIu64, x->st.v[i]);
		else
			fputs("null", out); /* not reported by this kernel */
	}
	fputc('}', out);
	if (x->have_kmsg)
		fprintf(out, ",\"kmsg\":{\"table_full\":%" PRIu64 ",\"suppressed\":%" PRIu64 "}", x->kmsg_table_full,
			x->kmsg_suppressed);
	if (x->has_table) {
		const struct ct_table *t = &x->table;
		fprintf(out,
			",\"table\":{\"total\":%" PRIu64 ",\"udp\":{\"unreplied\":%" PRIu64 ",\"replied\":%" PRIu64
			",\"assured\":%" PRIu64 "},\"tcp\":{",
			t->total, t->udp_unreplied, t->udp_replied, t->udp_assured);
		for (int i = 1; i < CT_TCP_STATES; i++)
			fprintf(out, "%s\"%s\":%" PRIu64, i > 1 ? "," : "", ct_tcp_state_name(i), t->tcp[i]);
		fprintf(out, "},\"icmp\":%" PRIu64 ",\"other\":%" PRIu64 ",\"dump_ms\":%.3f}", t->icmp, t->other,
			t->dump_ms);
	}
	fputs("}\n", out);
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

size_t ct_prom_text(char *buf, size_t cap, const struct ct_sample *x, const struct ct_summary *s)
{
	struct text t = { buf, cap, 0 };
	if (cap)
		buf[0] = '\0';
	put(&t, "# HELP node_nf_conntrack_entries Number of currently allocated flow entries for connection tracking.\n"
		"# TYPE node_nf_conntrack_entries gauge\nnode_nf_conntrack_entries %" PRIu64 "\n",
	    x->count);
	put(&t, "# HELP node_nf_conntrack_entries_limit Maximum size of connection tracking table.\n"
		"# TYPE node_nf_conntrack_entries_limit gauge\nnode_nf_conntrack_entries_limit %" PRIu64 "\n",
	    x->max);
	for (int i = 0; i < CT_ST__COUNT; i++) {
		if (!x->st.have[i])
			continue;
		put(&t, "# HELP node_nf_conntrack_stat_%s Conntrack statistic '%s', summed over CPUs.\n"
			"# TYPE node_nf_conntrack_stat_%s counter\nnode_nf_conntrack_stat_%s %" PRIu64 "\n",
		    ct_stat_name(i), ct_stat_name(i), ct_stat_name(i), ct_stat_name(i), x->st.v[i]);
	}
	put(&t, "# HELP ctstorm_nf_conntrack_buckets Size of the conntrack hash table.\n"
		"# TYPE ctstorm_nf_conntrack_buckets gauge\nctstorm_nf_conntrack_buckets %" PRIu64 "\n",
	    x->buckets);
	if (s->have_kmsg) {
		put(&t, "# HELP ctstorm_kmsg_table_full_total Kernel log 'table full, dropping packet' lines for this namespace since the sampler started.\n"
			"# TYPE ctstorm_kmsg_table_full_total counter\nctstorm_kmsg_table_full_total %" PRIu64 "\n",
		    s->kmsg_table_full);
		put(&t, "# HELP ctstorm_kmsg_suppressed_total Kernel log callbacks suppressed by rate limiting (host-wide) since the sampler started.\n"
			"# TYPE ctstorm_kmsg_suppressed_total counter\nctstorm_kmsg_suppressed_total %" PRIu64 "\n",
		    s->kmsg_suppressed);
	}
	return t.len;
}
