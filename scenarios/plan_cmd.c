/* `ctstorm plan`: the host's figures (timeouts, RAM, the slab's entry
 * size) around analysis/plan.c's arithmetic; text with the sysctl lines to
 * deploy, or JSON. */
#include "plan_cmd.h"

#include "ct_err.h"
#include "plan.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_ENTRY_BYTES 320

static bool read_number(const char *path, double *out)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fscanf(f, "%lf", out) == 1;
	fclose(f);
	return ok;
}

/* One nf_conntrack object in the slab allocator ("name active num objsize ..."). */
static uint64_t slab_entry_bytes(void)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	if (!f)
		return 0;
	char line[512], name[64];
	unsigned long active, num, objsize;
	uint64_t size = 0;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "%63s %lu %lu %lu", name, &active, &num, &objsize) == 4 && strcmp(name, "nf_conntrack") == 0)
			size = objsize;
	fclose(f);
	return size;
}

static uint64_t host_ram(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

static void mib(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= (10ull << 30))
		snprintf(buf, len, "%.1f GiB", (double)bytes / (double)(1ull << 30));
	else
		snprintf(buf, len, "%.1f MiB", (double)bytes / (double)(1ull << 20));
}

static json_t *sizing_json(const struct plan_sizing *s)
{
	return json_pack("{s:I, s:I, s:I}", "nf_conntrack_max", (json_int_t)s->max, "nf_conntrack_buckets",
			 (json_int_t)s->buckets, "memory_bytes", (json_int_t)s->memory_bytes);
}

/* What the plan was computed from and what it says: the writers' input. */
struct plan_out {
	const struct plan_cmd *o;
	struct plan_flow *flows;
	char (*source)[96];  /* where each flow's timeout came from */
	struct plan_input in;
	struct plan_result r;
	bool ram_given, entry_measured;
};

/* The flows, each with its timeout: given, or this host's. */
static int read_flows(struct plan_out *p)
{
	char err[CT_ERRLEN];
	const struct plan_cmd *o = p->o;
	for (size_t i = 0; i < o->nflows; i++) {
		if (plan_flow_parse(o->flows[i], &p->flows[i], err, sizeof err) < 0) {
			fprintf(stderr, "ctstorm: error: %s\n", err);
			return -1;
		}
		char key[64], path[128];
		plan_timeout_key(&p->flows[i], key, sizeof key);
		if (p->flows[i].timeout_given) {
			snprintf(p->source[i], sizeof p->source[i], "given");
			continue;
		}
		snprintf(path, sizeof path, "/proc/sys/net/netfilter/%s", key);
		if (!read_number(path, &p->flows[i].timeout_s)) {
			fprintf(stderr, "ctstorm: error: --flow %s: no timeout given and %s cannot be read (is conntrack "
					"loaded?); give it: %s:SECONDS\n",
				o->flows[i], path, o->flows[i]);
			return -1;
		}
		snprintf(p->source[i], sizeof p->source[i], "%s, this host", key);
	}
	return 0;
}

static void plan_json(const struct plan_out *p)
{
	const struct plan_result *r = &p->r;
	json_t *fl = json_array();
	for (size_t i = 0; i < p->o->nflows; i++)
		json_array_append_new(fl, json_pack("{s:s, s:f, s:s, s:f, s:s, s:f}", "proto",
						    p->flows[i].proto == PLAN_UDP ? "udp" : "tcp", "rate", p->flows[i].rate,
						    "state", p->flows[i].state, "timeout_s", p->flows[i].timeout_s,
						    "timeout_from", p->source[i], "entries", r->per_flow[i < 64 ? i : 63]));
	json_t *j = json_pack("{s:o, s:f, s:f, s:f, s:f, s:f, s:I, s:b, s:I, s:b, s:o, s:o, s:I, s:o}", "flows", fl,
			      "steady_entries", r->steady, "gc_lag_s", r->gc_period_s, "gc_lag_entries", r->gc_extra,
			      "headroom", p->in.headroom, "peak_entries", r->peak, "entry_bytes",
			      (json_int_t)p->in.entry_bytes, "entry_bytes_measured", p->entry_measured, "ram_bytes",
			      (json_int_t)p->in.ram_bytes, "ram_given", p->ram_given, "recommended", sizing_json(&r->plan),
			      "formula_seed_004", sizing_json(&r->formula), "formula_buckets_max",
			      (json_int_t)r->formula_buckets_max, "kernel_default", sizing_json(&r->kernel));
	char l1[96], l2[96];
	snprintf(l1, sizeof l1, "net.netfilter.nf_conntrack_max = %" PRIu64, r->plan.max);
	snprintf(l2, sizeof l2, "net.netfilter.nf_conntrack_buckets = %" PRIu64, r->plan.buckets);
	json_object_set_new(j, "sysctl", json_pack("[s, s]", l1, l2));
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(j);
}

/* Little's law line by line, then the sizings side by side. */
static void plan_text(const struct plan_out *p)
{
	const struct plan_result *r = &p->r;
	const struct plan_flow *flows = p->flows;
	printf("Entries by Little's law (new flows per second x seconds each entry lives):\n");
	double total_rate = 0;
	for (size_t i = 0; i < p->o->nflows; i++) {
		char what[40];
		snprintf(what, sizeof what, "%s%s%s", flows[i].proto == PLAN_UDP ? "udp" : "tcp", *flows[i].state ? " " : "",
			 flows[i].state);
		printf("  %-16s %9.0f/s x %6.0f s = %10.0f   (%s)\n", what, flows[i].rate, flows[i].timeout_s,
		       r->per_flow[i < 64 ? i : 63], p->source[i]);
		total_rate += flows[i].rate;
	}
	printf("  %-16s %34.0f\n", "steady state", r->steady);
	printf("  %-16s %9.0f/s x %6.1f s = %10.0f   (expired entries wait for the collector's next pass%s)\n",
	       "collector lag", total_rate, r->gc_period_s, r->gc_extra,
	       p->in.gc_lag_s < 0 ? ": its interval for this table, by the kernel's formula" : "");
	char peak[40];
	snprintf(peak, sizeof peak, "peak +%.0f%%", p->in.headroom * 100);
	printf("  %-16s %34.0f\n", peak, r->peak);
	char m1[32], m2[32], m3[32], ram[32];
	mib(m1, sizeof m1, r->plan.memory_bytes);
	mib(m2, sizeof m2, r->formula.memory_bytes);
	mib(m3, sizeof m3, r->kernel.memory_bytes);
	mib(ram, sizeof ram, p->in.ram_bytes);
	printf("\nMemory: %" PRIu64 " bytes an entry (%s), %d bytes a bucket; RAM %s (%s).\n\n", p->in.entry_bytes,
	       p->entry_measured ? "slab nf_conntrack, this host" : "assumed: /proc/slabinfo unreadable",
	       PLAN_BUCKET_BYTES, ram, p->ram_given ? "given" : "this host");
	printf("%-28s %12s %12s %12s  %s\n", "", "max", "buckets", "memory", "holds the peak?");
	printf("%-28s %12" PRIu64 " %12" PRIu64 " %12s  %s\n", "recommended", r->plan.max, r->plan.buckets, m1, "yes");
	printf("%-28s %12" PRIu64 " %12" PRIu64 " %12s  %s (buckets up to %" PRIu64 ")\n", "seed 004: RAM/16384/(bits/32)",
	       r->formula.max, r->formula.buckets, m2, (double)r->formula.max >= r->peak ? "yes" : "NO",
	       r->formula_buckets_max);
	printf("%-28s %12" PRIu64 " %12" PRIu64 " %12s  %s\n", "the kernel's default", r->kernel.max, r->kernel.buckets,
	       m3, (double)r->kernel.max >= r->peak ? "yes" : "NO");
	printf("\nTo deploy (/etc/sysctl.d/90-conntrack.conf; buckets also as nf_conntrack hashsize=%" PRIu64 "):\n"
	       "net.netfilter.nf_conntrack_max = %" PRIu64 "\nnet.netfilter.nf_conntrack_buckets = %" PRIu64 "\n",
	       r->plan.buckets, r->plan.max, r->plan.buckets);
}

int cmd_plan(const struct plan_cmd *o)
{
	if (!o->nflows) {
		fprintf(stderr, "ctstorm: error: plan needs at least one --flow (udp:RATE[:TIMEOUT], tcp:RATE:STATE[:TIMEOUT])\n");
		return CT_EXIT_USAGE;
	}
	struct plan_out p = { .o = o, .flows = calloc(o->nflows, sizeof *p.flows),
			      .source = calloc(o->nflows, sizeof *p.source), .ram_given = o->ram != 0 };
	if (!p.flows || !p.source)
		abort();
	int rc = CT_EXIT_USAGE;
	if (read_flows(&p) < 0)
		goto out;
	p.in = (struct plan_input){ .flows = p.flows, .n = o->nflows, .pointer_bits = (unsigned)sizeof(void *) * 8,
				    .headroom = (double)o->headroom_pct / 100.0, .gc_lag_s = o->gc_lag_s };
	p.in.ram_bytes = o->ram ? o->ram : host_ram();
	p.in.entry_bytes = slab_entry_bytes();
	p.entry_measured = p.in.entry_bytes > 0;
	if (!p.entry_measured)
		p.in.entry_bytes = DEFAULT_ENTRY_BYTES;
	plan_compute(&p.in, &p.r);
	if (o->json)
		plan_json(&p);
	else
		plan_text(&p);
	rc = CT_EXIT_OK;
out:
	free(p.flows);
	free(p.source);
	return rc;
}
