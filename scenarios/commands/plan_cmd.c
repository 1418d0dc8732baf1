/* `ctstorm plan`: the host's figures (timeouts, RAM, the slab's entry
 * size) around analysis/plan.c's arithmetic; text with the sysctl lines to
 * deploy, or JSON. */
#include "plan_cmd.h"

#include "atomicfile.h"
#include "ct_err.h"
#include "journal.h"
#include "plan.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define DEFAULT_ENTRY_BYTES 320
/* A recommendation taking more of the RAM than this is flagged. */
#define RAM_SHARE_WARN 0.10

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

/* What the plan was computed from and what it says: the writers' input. */
struct plan_out;
static bool holds(const struct plan_out *p, uint64_t max);

static json_t *sizing_json(const struct plan_out *p, const struct plan_sizing *s)
{
	return json_pack("{s:I, s:I, s:I, s:b}", "nf_conntrack_max", (json_int_t)s->max, "nf_conntrack_buckets",
			 (json_int_t)s->buckets, "memory_bytes", (json_int_t)s->memory_bytes, "holds_peak", holds(p, s->max));
}

struct plan_out {
	const struct plan_cmd *o;
	struct plan_flow *flows;
	struct plan_open *opens;
	char (*source)[96];  /* where each flow's timeout came from */
	struct plan_input in;
	struct plan_result r;
	bool ram_given, entry_measured, kernel_given;
	char kernel_text[65];          /* uname -r, or --kernel's major.minor */
	bool have_current;             /* this host's nf_conntrack_max and buckets, read */
	bool current_saved;            /* ... as a run in progress saved them (it changed them) */
	struct plan_sizing current;
	double ports;                  /* source ports one address has (ip_local_port_range) */
	char port_range[32];
};

static bool holds(const struct plan_out *p, uint64_t max)
{
	return (double)max >= p->r.peak;
}

/* A run in progress changed a global sysctl: the value it saved to
 * restore is the host's own. */
static bool saved_by_run(const char *path, double *out)
{
	char jpath[512], err[CT_ERRLEN];
	snprintf(jpath, sizeof jpath, "%s/journal", jr_state_dir());
	char *text = ct_read_file(jpath, NULL, err, sizeof err);
	if (!text)
		return false;
	struct journal j = { 0 };
	jr_parse(&j, text);
	free(text);
	bool found = false;
	for (size_t i = 0; i < j.n && !found; i++) /* the oldest: what the host had */
		if (j.e[i].kind == JR_SYSCTL && strcmp(j.e[i].a, path) == 0)
			found = sscanf(j.e[i].b, "%lf", out) == 1;
	jr_free_entries(&j);
	return found;
}

/* What this host runs with now: a row to set beside the plan (what a run
 * in progress saved, where it changed them). */
static void read_current(struct plan_out *p)
{
	static const char *const paths[] = { "/proc/sys/net/netfilter/nf_conntrack_max",
					     "/proc/sys/net/netfilter/nf_conntrack_buckets" };
	double v[2];
	p->have_current = true;
	for (int i = 0; i < 2; i++) {
		bool saved = saved_by_run(paths[i], &v[i]);
		p->current_saved |= saved;
		p->have_current &= saved || read_number(paths[i], &v[i]);
	}
	double max = v[0], buckets = v[1];
	if (p->have_current) {
		p->current.max = (uint64_t)max;
		p->current.buckets = (uint64_t)buckets;
		p->current.memory_bytes = p->current.max * p->in.entry_bytes + p->current.buckets * PLAN_BUCKET_BYTES;
	}
}

/* A number of entries as a planner reads it: whole. */
static json_int_t entries(double v)
{
	return (json_int_t)llround(v);
}

/* Seconds to the millisecond. */
static double secs(double v)
{
	return round(v * 1000) / 1000;
}

/* Seconds as computed with (to the millisecond), trailing zeros off. */
static void fmt_secs(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.3f", v);
	char *e = buf + strlen(buf);
	while (e[-1] == '0')
		*--e = '\0';
	if (e[-1] == '.')
		*--e = '\0';
	snprintf(e, len - (size_t)(e - buf), "s");
}

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
	for (size_t i = 0; i < o->nopens; i++) {
		if (plan_open_parse(o->opens[i], &p->opens[i], err, sizeof err) < 0) {
			fprintf(stderr, "ctstorm: error: %s\n", err);
			return -1;
		}
	}
	return 0;
}

/* One source address's ports toward one destination: the local port range. */
static void read_ports(struct plan_out *p)
{
	unsigned lo = 32768, hi = 60999;
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	if (f) {
		if (fscanf(f, "%u %u", &lo, &hi) != 2 || hi < lo)
			lo = 32768, hi = 60999;
		fclose(f);
	}
	p->ports = hi - lo + 1;
	snprintf(p->port_range, sizeof p->port_range, "%u %u", lo, hi);
}

static const char *flow_name(const struct plan_flow *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s", f->proto == PLAN_UDP ? "udp" : "tcp", *f->state ? " " : "", f->state);
	return buf;
}

static json_t *warnings_json(const struct plan_out *p);

/* A flow whose entries live a long idle timeout, given no life: what
 * drove an impossible plan, most often. */
static const struct plan_flow *idle_timeout_flow(const struct plan_out *p)
{
	const struct plan_flow *worst = NULL;
	for (size_t i = 0; i < p->o->nflows; i++)
		if (p->flows[i].life_s == 0 && p->flows[i].timeout_s >= 3600 &&
		    (!worst || p->flows[i].rate * p->flows[i].timeout_s > worst->rate * worst->timeout_s))
			worst = &p->flows[i];
	return worst;
}

/* Why no table can be recommended, and what to change. */
static const char *refusal(const struct plan_out *p, char *buf, size_t len)
{
	char need[32], ram[32], mem[32];
	snprintf(need, sizeof need, "%.0f", p->r.peak);
	mib(ram, sizeof ram, p->in.ram_bytes);
	mib(mem, sizeof mem, (uint64_t)(p->r.peak * (double)(p->in.entry_bytes + PLAN_BUCKET_BYTES)));
	size_t n = p->r.refused == PLAN_OVER_KERNEL
			   ? (size_t)snprintf(buf, len, "the peak needs %s entries; nf_conntrack_max takes at most %llu (an int)",
					      need, PLAN_MAX_LIMIT)
			   : (size_t)snprintf(buf, len, "the peak needs %s entries, %s at %" PRIu64
						      " bytes an entry and %d a bucket: more than the RAM (%s)",
					      need, mem, p->in.entry_bytes, PLAN_BUCKET_BYTES, ram);
	const struct plan_flow *f = idle_timeout_flow(p);
	if (f && n < len) {
		char name[40], t[24];
		fmt_secs(t, sizeof t, f->timeout_s);
		snprintf(buf + n, len - n,
			 "; %s's entries live its idle timeout (%s) as if no flow ever ended: give how long each is in use "
			 "(life=DURATION, then %s), or how many are open at once (--open %s:COUNT)",
			 flow_name(f, name, sizeof name), t, f->proto == PLAN_TCP ? "ending in time_wait" : "its timeout",
			 f->proto == PLAN_TCP ? "tcp" : "udp");
	}
	return buf;
}

static void plan_json(const struct plan_out *p)
{
	const struct plan_result *r = &p->r;
	json_t *fl = json_array(), *op = json_array();
	for (size_t i = 0; i < p->o->nflows; i++) {
		json_t *f = json_pack("{s:s, s:f, s:s, s:f, s:s, s:f, s:I}", "proto",
				      p->flows[i].proto == PLAN_UDP ? "udp" : "tcp", "rate", p->flows[i].rate, "state",
				      p->flows[i].state, "timeout_s", secs(p->flows[i].timeout_s), "timeout_from", p->source[i],
				      "life_s", secs(p->flows[i].life_s), "entries", entries(r->per_flow[i < 64 ? i : 63]));
		if (p->flows[i].dsts > 0)
			json_object_set_new(f, "destinations", json_integer((json_int_t)p->flows[i].dsts));
		json_array_append_new(fl, f);
	}
	for (size_t i = 0; i < p->o->nopens; i++)
		json_array_append_new(op, json_pack("{s:s, s:s, s:I}", "proto", p->opens[i].proto == PLAN_UDP ? "udp" : "tcp",
						    "state", p->opens[i].state, "entries", entries(r->per_open[i < 64 ? i : 63])));
	json_t *j = json_pack("{s:o, s:I, s:f, s:I, s:I, s:I, s:I, s:s, s:I, s:b, s:s, s:b}", "flows", fl,
			      "steady_entries", entries(r->steady), "gc_lag_s", secs(r->gc_period_s), "gc_lag_entries",
			      entries(r->gc_extra), "headroom_pct", (json_int_t)p->o->headroom_pct, "peak_entries",
			      entries(r->peak), "entry_bytes", (json_int_t)p->in.entry_bytes, "entry_bytes_from",
			      p->o->entry_bytes ? "given" : p->entry_measured ? "slab" : "assumed", "ram_bytes", (json_int_t)p->in.ram_bytes, "ram_given", p->ram_given, "kernel",
			      p->kernel_text, "kernel_given", p->kernel_given);
	json_object_set_new(j, "open", op);
	json_object_set_new(j, "driven_by", json_string(r->driver == PLAN_DRIVER_STEADY ? "steady" : "after_quiet"));
	json_object_set_new(j, "after_quiet_s", json_real(secs(p->in.after_quiet_s)));
	json_object_set_new(j, "after_quiet_entries", json_integer(entries(r->burst)));
	json_object_set_new(j, "recommended", r->refused ? json_null() : sizing_json(p, &r->plan));
	char why[512];
	json_object_set_new(j, "refused", r->refused ? json_string(refusal(p, why, sizeof why)) : json_null());
	json_object_set_new(j, "rule_of_thumb_seed_004", sizing_json(p, &r->formula));
	json_object_set_new(j, "rule_of_thumb_buckets_max", json_integer((json_int_t)r->formula_buckets_max));
	json_object_set_new(j, "kernel_default", sizing_json(p, &r->kernel));
	json_object_set_new(j, "this_host_now", p->have_current ? sizing_json(p, &p->current) : json_null());
	if (p->have_current)
		json_object_set_new(json_object_get(j, "this_host_now"), "saved_by_run", json_boolean(p->current_saved));
	json_object_set_new(j, "warnings", warnings_json(p));
	char l1[96], l2[96];
	snprintf(l1, sizeof l1, "net.netfilter.nf_conntrack_max = %" PRIu64, r->plan.max);
	snprintf(l2, sizeof l2, "net.netfilter.nf_conntrack_buckets = %" PRIu64, r->plan.buckets);
	json_object_set_new(j, "sysctl", r->refused ? json_array() : json_pack("[s, s]", l1, l2));
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(12));
	fputc('\n', stdout);
	json_decref(j);
}

/* What a planner should not miss: a table that takes much of the RAM, a
 * collector the model does not describe. */
static json_t *warnings_json(const struct plan_out *p)
{
	json_t *w = json_array();
	double share = (double)p->r.plan.memory_bytes / (double)p->in.ram_bytes;
	char buf[512];
	if (share > RAM_SHARE_WARN) {
		snprintf(buf, sizeof buf, "the recommended table takes %.0f%% of the RAM", share * 100);
		json_array_append_new(w, json_string(buf));
	}
	const struct plan_flow *idle = idle_timeout_flow(p);
	if (idle && !p->r.refused) {
		char name[40], t[24];
		fmt_secs(t, sizeof t, idle->timeout_s);
		snprintf(buf, sizeof buf,
			 "%s: each entry lives its idle timeout (%s), as if no flow ever ended; for flows that end, give "
			 "their life (life=DURATION) and the state they end in; for connections held open, --open",
			 flow_name(idle, name, sizeof name), t);
		json_array_append_new(w, json_string(buf));
	}
	for (size_t i = 0; i < p->o->nflows; i++) {
		const struct plan_flow *f = &p->flows[i];
		if (f->dsts <= 0)
			continue;
		double live = f->rate * plan_flow_lifetime(f) / f->dsts;
		if (live <= p->ports)
			continue;
		char name[40];
		snprintf(buf, sizeof buf,
			 "%s: %.0f flows live at once toward each of %.0f destination%s, and one source address has %.0f "
			 "source ports toward one (net.ipv4.ip_local_port_range %s): they need %.0f source addresses (or a "
			 "SNAT pool that large); short of them new flows fail (the catalogue's snat-exhaustion)",
			 flow_name(f, name, sizeof name), live, f->dsts, f->dsts > 1 ? "s" : "", p->ports, p->port_range,
			 ceil(live / p->ports));
		json_array_append_new(w, json_string(buf));
	}
	if (p->in.kernel && p->in.kernel < PLAN_KERNEL(5, 19) && p->in.gc_lag_s < 0) {
		snprintf(buf, sizeof buf,
			 "the collector lag is modelled on Linux 5.19 and later; %s's collector scans on its own "
			 "schedule: give --gc-lag from a measurement (ctstorm probe)",
			 p->kernel_text);
		json_array_append_new(w, json_string(buf));
	}
	return w;
}

static void sizing_row(const struct plan_out *p, const char *label, const struct plan_sizing *z, const char *tail)
{
	char m[32];
	mib(m, sizeof m, z->memory_bytes);
	printf("%-46s %10" PRIu64 " %10" PRIu64 " %11s  %s%s\n", label, z->max, z->buckets, m,
	       holds(p, z->max) ? "yes" : "NO", tail);
}

/* Little's law line by line, then the sizings side by side. */
static void plan_text(const struct plan_out *p)
{
	const struct plan_result *r = &p->r;
	const struct plan_flow *flows = p->flows;
	printf("Entries by Little's law (new flows per second x seconds each entry lives):\n");
	double total_rate = 0;
	for (size_t i = 0; i < p->o->nflows; i++) {
		char what[40], t[24], life[24], both[64];
		flow_name(&flows[i], what, sizeof what);
		fmt_secs(t, sizeof t, flows[i].timeout_s);
		fmt_secs(life, sizeof life, flows[i].life_s);
		if (flows[i].life_s > 0)
			snprintf(both, sizeof both, "(%s + %s)", life, t);
		else
			snprintf(both, sizeof both, "%s", t);
		printf("  %-16s %9.0f/s x %7s = %10.0f   (%s%s)\n", what, flows[i].rate, both, r->per_flow[i < 64 ? i : 63],
		       flows[i].life_s > 0 ? "in use, then " : "", p->source[i]);
		total_rate += flows[i].rate;
	}
	for (size_t i = 0; i < p->o->nopens; i++) {
		char what[48];
		snprintf(what, sizeof what, "%s %s open", p->opens[i].proto == PLAN_UDP ? "udp" : "tcp", p->opens[i].state);
		printf("  %-16s %24s %10.0f   (held open at once: they never expire)\n", what, "", r->per_open[i < 64 ? i : 63]);
	}
	char lag[24];
	fmt_secs(lag, sizeof lag, r->gc_period_s);
	printf("  %-16s %35.0f\n", "steady state", r->steady);
	printf("  %-16s %9.0f/s x %7s = %10.0f   (expired entries wait for the collector's next pass%s)\n",
	       "collector lag", total_rate, lag, r->gc_extra,
	       p->in.gc_lag_s < 0 ? ": its interval for this table, by the kernel's formula" : "");
	if (p->in.after_quiet_s > 0) {
		char q[24];
		fmt_secs(q, sizeof q, p->in.after_quiet_s);
		printf("  %-16s %9.0f/s x %7s = %10.0f   (a burst after a quiet period: the idle collector's first pass "
		       "may come %s into it, nothing is freed before)\n",
		       "after quiet", total_rate, q, r->burst, q);
	}
	char peak[48];
	snprintf(peak, sizeof peak, "peak with %" PRIu64 "%% headroom", p->o->headroom_pct);
	printf("  %-27s %24.0f%s\n", peak, r->peak,
	       p->in.after_quiet_s > 0 ? "   (the larger of steady state + collector lag and after quiet)" : "");
	if (r->driver == PLAN_DRIVER_AFTER_QUIET)
		printf("\nDriven by: after quiet (a burst meeting an idle collector); for steady traffic alone "
		       "(--after-quiet 0) the peak is %.0f.\n",
		       (r->steady + r->gc_extra) * (1 + p->in.headroom));
	else
		printf("\nDriven by: steady state + collector lag%s.\n",
		       p->in.after_quiet_s > 0 ? " (a burst after quiet needs less)" : "");
	if (r->refused) {
		char why[512];
		printf("\nCannot be planned: %s.\n", refusal(p, why, sizeof why));
	}
	char ram[32];
	mib(ram, sizeof ram, p->in.ram_bytes);
	printf("\nMemory: %" PRIu64 " bytes an entry (%s), %d bytes a bucket; RAM %s (%s); kernel %s (%s).\n\n",
	       p->in.entry_bytes,
	       p->o->entry_bytes ? "given" : p->entry_measured ? "slab nf_conntrack, this host" : "assumed: /proc/slabinfo unreadable",
	       PLAN_BUCKET_BYTES, ram, p->ram_given ? "given" : "this host", p->kernel_text,
	       p->kernel_given ? "given" : "this host");
	printf("%-46s %10s %10s %11s  %s\n", "", "max", "buckets", "memory", "holds the peak?");
	char label[96], tail[96];
	snprintf(label, sizeof label, "recommended (the peak, to 1024)");
	if (!r->refused)
		sizing_row(p, label, &r->plan, r->plan.buckets < r->plan.max ? " (buckets: the most the kernel takes)" : "");
	snprintf(tail, sizeof tail, " (its buckets may go from max/8 to max/2 = %" PRIu64 ")", r->formula_buckets_max);
	sizing_row(p, "RAM/16384/(bits/32) rule of thumb (seed 004)", &r->formula, tail);
	snprintf(label, sizeof label, "the kernel's default (%s)", p->kernel_text);
	sizing_row(p, label, &r->kernel, "");
	if (p->have_current)
		sizing_row(p, p->current_saved ? "this host (as saved by the run changing it now)" : "this host now",
			   &p->current, "");
	json_t *w = warnings_json(p);
	size_t i;
	json_t *v;
	json_array_foreach(w, i, v)
		printf("\nWarning: %s.\n", json_string_value(v));
	json_decref(w);
	if (!r->refused)
		printf("\nTo deploy (/etc/sysctl.d/90-conntrack.conf; buckets also as nf_conntrack hashsize=%" PRIu64 "):\n"
		       "net.netfilter.nf_conntrack_max = %" PRIu64 "\nnet.netfilter.nf_conntrack_buckets = %" PRIu64 "\n",
		       r->plan.buckets, r->plan.max, r->plan.buckets);
}

int cmd_plan(const struct plan_cmd *o)
{
	if (!o->nflows && !o->nopens) {
		fprintf(stderr, "ctstorm: error: plan needs at least one --flow (udp:RATE[:TIMEOUT], tcp:RATE:STATE[:TIMEOUT]) "
				"or --open (tcp:COUNT)\n");
		return CT_EXIT_USAGE;
	}
	struct plan_out p = { .o = o, .flows = calloc(o->nflows ? o->nflows : 1, sizeof *p.flows),
			      .opens = calloc(o->nopens ? o->nopens : 1, sizeof *p.opens),
			      .source = calloc(o->nflows ? o->nflows : 1, sizeof *p.source), .ram_given = o->ram != 0 };
	if (!p.flows || !p.source || !p.opens)
		abort();
	int rc = CT_EXIT_USAGE;
	if (read_flows(&p) < 0)
		goto out;
	p.in = (struct plan_input){ .flows = p.flows, .n = o->nflows, .open = p.opens, .nopen = o->nopens, .pointer_bits = (unsigned)sizeof(void *) * 8,
				    .headroom = (double)o->headroom_pct / 100.0, .gc_lag_s = o->gc_lag_s,
				    .after_quiet_s = o->after_quiet_s };
	p.in.ram_bytes = o->ram ? o->ram : host_ram();
	p.in.entry_bytes = o->entry_bytes ? o->entry_bytes : slab_entry_bytes();
	p.entry_measured = !o->entry_bytes && p.in.entry_bytes > 0;
	if (!p.in.entry_bytes)
		p.in.entry_bytes = DEFAULT_ENTRY_BYTES;
	p.kernel_given = o->kernel != 0;
	if (p.kernel_given) {
		p.in.kernel = o->kernel;
		snprintf(p.kernel_text, sizeof p.kernel_text, "%u.%u", o->kernel / 256, o->kernel % 256);
	} else {
		struct utsname u;
		char err[CT_ERRLEN];
		if (uname(&u) == 0 && plan_kernel_parse(u.release, &p.in.kernel, err, sizeof err) == 0)
			snprintf(p.kernel_text, sizeof p.kernel_text, "%s", u.release);
		else
			snprintf(p.kernel_text, sizeof p.kernel_text, "unknown");
	}
	plan_compute(&p.in, &p.r);
	read_current(&p);
	read_ports(&p);
	if (o->json)
		plan_json(&p);
	else
		plan_text(&p);
	/* no table holds it: the planner's "no", as a failed expectation */
	rc = p.r.refused ? CT_EXIT_FAIL : CT_EXIT_OK;
out:
	free(p.opens);
	free(p.flows);
	free(p.source);
	return rc;
}
