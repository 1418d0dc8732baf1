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

int cmd_plan(const struct plan_cmd *o)
{
	char err[CT_ERRLEN];
	if (!o->nflows) {
		fprintf(stderr, "ctstorm: error: plan needs at least one --flow (udp:RATE[:TIMEOUT], tcp:RATE:STATE[:TIMEOUT])\n");
		return CT_EXIT_USAGE;
	}
	struct plan_flow *flows = calloc(o->nflows, sizeof *flows);
	char (*source)[96] = calloc(o->nflows, sizeof *source);
	if (!flows || !source)
		abort();
	int rc = CT_EXIT_USAGE;
	for (size_t i = 0; i < o->nflows; i++) {
		if (plan_flow_parse(o->flows[i], &flows[i], err, sizeof err) < 0) {
			fprintf(stderr, "ctstorm: error: %s\n", err);
			goto out;
		}
		char key[64], path[128];
		plan_timeout_key(&flows[i], key, sizeof key);
		if (flows[i].timeout_given) {
			snprintf(source[i], sizeof source[i], "given");
			continue;
		}
		snprintf(path, sizeof path, "/proc/sys/net/netfilter/%s", key);
		if (!read_number(path, &flows[i].timeout_s)) {
			fprintf(stderr, "ctstorm: error: --flow %s: no timeout given and %s cannot be read (is conntrack "
					"loaded?); give it: %s:SECONDS\n",
				o->flows[i], path, o->flows[i]);
			goto out;
		}
		snprintf(source[i], sizeof source[i], "%s, this host", key);
	}
	struct plan_input in = { .flows = flows, .n = o->nflows, .pointer_bits = (unsigned)sizeof(void *) * 8,
				 .headroom = (double)o->headroom_pct / 100.0, .gc_lag_s = o->gc_lag_s };
	bool ram_given = o->ram != NULL;
	if (o->ram && plan_parse_size(o->ram, &in.ram_bytes, err, sizeof err) < 0) {
		fprintf(stderr, "ctstorm: error: %s\n", err);
		goto out;
	}
	if (!o->ram)
		in.ram_bytes = host_ram();
	in.entry_bytes = slab_entry_bytes();
	bool entry_measured = in.entry_bytes > 0;
	if (!entry_measured)
		in.entry_bytes = DEFAULT_ENTRY_BYTES;
	struct plan_result r;
	plan_compute(&in, &r);

	if (o->json) {
		json_t *fl = json_array();
		for (size_t i = 0; i < o->nflows; i++)
			json_array_append_new(fl, json_pack("{s:s, s:f, s:s, s:f, s:s, s:f}", "proto",
							    flows[i].proto == PLAN_UDP ? "udp" : "tcp", "rate", flows[i].rate,
							    "state", flows[i].state, "timeout_s", flows[i].timeout_s,
							    "timeout_from", source[i], "entries", r.per_flow[i < 64 ? i : 63]));
		json_t *j = json_pack("{s:o, s:f, s:f, s:f, s:f, s:f, s:I, s:b, s:I, s:b, s:o, s:o, s:I, s:o}", "flows",
				      fl, "steady_entries", r.steady, "gc_lag_s", r.gc_period_s, "gc_lag_entries", r.gc_extra,
				      "headroom", in.headroom, "peak_entries", r.peak, "entry_bytes",
				      (json_int_t)in.entry_bytes, "entry_bytes_measured", entry_measured, "ram_bytes",
				      (json_int_t)in.ram_bytes, "ram_given", ram_given, "recommended", sizing_json(&r.plan),
				      "formula_seed_004", sizing_json(&r.formula), "formula_buckets_max",
				      (json_int_t)r.formula_buckets_max, "kernel_default", sizing_json(&r.kernel));
		char l1[96], l2[96];
		snprintf(l1, sizeof l1, "net.netfilter.nf_conntrack_max = %" PRIu64, r.plan.max);
		snprintf(l2, sizeof l2, "net.netfilter.nf_conntrack_buckets = %" PRIu64, r.plan.buckets);
		json_object_set_new(j, "sysctl", json_pack("[s, s]", l1, l2));
		json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
		json_decref(j);
		rc = CT_EXIT_OK;
		goto out;
	}

	printf("Entries by Little's law (new flows per second x seconds each entry lives):\n");
	double total_rate = 0;
	for (size_t i = 0; i < o->nflows; i++) {
		char what[40];
		snprintf(what, sizeof what, "%s%s%s", flows[i].proto == PLAN_UDP ? "udp" : "tcp", *flows[i].state ? " " : "",
			 flows[i].state);
		printf("  %-16s %9.0f/s x %6.0f s = %10.0f   (%s)\n", what, flows[i].rate, flows[i].timeout_s,
		       r.per_flow[i < 64 ? i : 63], source[i]);
		total_rate += flows[i].rate;
	}
	printf("  %-16s %34.0f\n", "steady state", r.steady);
	printf("  %-16s %9.0f/s x %6.1f s = %10.0f   (expired entries wait for the collector's next pass%s)\n",
	       "collector lag", total_rate, r.gc_period_s, r.gc_extra,
	       in.gc_lag_s < 0 ? ": its interval for this table, by the kernel's formula" : "");
	char peak[40];
	snprintf(peak, sizeof peak, "peak +%.0f%%", in.headroom * 100);
	printf("  %-16s %34.0f\n", peak, r.peak);
	char m1[32], m2[32], m3[32], ram[32];
	mib(m1, sizeof m1, r.plan.memory_bytes);
	mib(m2, sizeof m2, r.formula.memory_bytes);
	mib(m3, sizeof m3, r.kernel.memory_bytes);
	mib(ram, sizeof ram, in.ram_bytes);
	printf("\nMemory: %" PRIu64 " bytes an entry (%s), %d bytes a bucket; RAM %s (%s).\n\n", in.entry_bytes,
	       entry_measured ? "slab nf_conntrack, this host" : "assumed: /proc/slabinfo unreadable", PLAN_BUCKET_BYTES,
	       ram, ram_given ? "given" : "this host");
	printf("%-28s %12s %12s %12s  %s\n", "", "max", "buckets", "memory", "holds the peak?");
	printf("%-28s %12" PRIu64 " %12" PRIu64 " %12s  %s\n", "recommended", r.plan.max, r.plan.buckets, m1, "yes");
	printf("%-28s %12" PRIu64 " %12" PRIu64 " %12s  %s (buckets up to %" PRIu64 ")\n", "seed 004: RAM/16384/(bits/32)",
	       r.formula.max, r.formula.buckets, m2, (double)r.formula.max >= r.peak ? "yes" : "NO",
	       r.formula_buckets_max);
	printf("%-28s %12" PRIu64 " %12" PRIu64 " %12s  %s\n", "the kernel's default", r.kernel.max, r.kernel.buckets, m3,
	       (double)r.kernel.max >= r.peak ? "yes" : "NO");
	printf("\nTo deploy (/etc/sysctl.d/90-conntrack.conf; buckets also as nf_conntrack hashsize=%" PRIu64 "):\n"
	       "net.netfilter.nf_conntrack_max = %" PRIu64 "\nnet.netfilter.nf_conntrack_buckets = %" PRIu64 "\n",
	       r.plan.buckets, r.plan.max, r.plan.buckets);
	rc = CT_EXIT_OK;
out:
	free(flows);
	free(source);
	return rc;
}
