#include "responder_cli.h"

#include "clock.h"
#include "ct_err.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

int ct_mode_parse(const char *text, struct ct_mode *mode, char *err, size_t errlen)
{
	char why[CT_ERRLEN];
	memset(mode, 0, sizeof *mode);
	if (strcmp(text, "answer") == 0) {
		mode->kind = CT_MODE_ANSWER;
	} else if (strcmp(text, "drop") == 0) {
		mode->kind = CT_MODE_DROP;
	} else if (strncmp(text, "delay=", 6) == 0) {
		const char *v = text + 6;
		size_t n = strlen(v);
		char ms[64];
		/* a bare number means milliseconds here, as the flag documents */
		if (n > 0 && n < sizeof ms - 3 && strspn(v, "0123456789.") == n) {
			snprintf(ms, sizeof ms, "%sms", v);
			v = ms;
		}
		if (ct_parse_duration(v, &mode->delay_ns, why, sizeof why) < 0)
			return ct_err(err, errlen, "mode '%s': %s", text, why);
		if (mode->delay_ns == 0 || mode->delay_ns > 60 * CT_NS_PER_SEC)
			return ct_err(err, errlen, "mode '%s': the delay must be above 0 and at most 60 s", text);
		mode->kind = CT_MODE_DELAY;
	} else {
		return ct_err(err, errlen, "unknown mode '%s' (use answer, drop or delay=MS)", text);
	}
	return 0;
}

const char *ct_mode_str(const struct ct_mode *mode, char *buf, size_t buflen)
{
	if (mode->kind == CT_MODE_DELAY)
		snprintf(buf, buflen, "delay=%.3gms", (double)mode->delay_ns / 1e6);
	else
		snprintf(buf, buflen, "%s", mode->kind == CT_MODE_DROP ? "drop" : "answer");
	return buf;
}

static int parse_mode(const char *text, void *field, char *err, size_t errlen)
{
	return ct_mode_parse(text, field, err, errlen);
}

/* exact, for the runner's command-line builder (ct_mode_str rounds) */
static int format_mode(const void *field, char *buf, size_t len)
{
	const struct ct_mode *m = field;
	int n = m->kind != CT_MODE_DELAY ? snprintf(buf, len, "%s", m->kind == CT_MODE_DROP ? "drop" : "answer")
		: m->delay_ns % 1000 ? snprintf(buf, len, "delay=%" PRIu64 ".%03" PRIu64 "us", m->delay_ns / 1000,
					       m->delay_ns % 1000)
				     : snprintf(buf, len, "delay=%" PRIu64 "us", m->delay_ns / 1000);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static const char *const mode_hints[] = { "answer", "drop", "delay=", NULL };

#define OFF(f) offsetof(struct responder_cli, f)
const struct ct_opt responder_cli_options[] = {
	{ "listen", 'l', CT_OPT_LIST, OFF(listen), NULL, 0, 0, "ADDR:PORT[,mode=M]",
	  "address to serve on, UDP and TCP; IPv6 as [ADDR]:PORT; ',mode=' sets this listener's mode", NULL },
	{ "zone", 'z', CT_OPT_LIST, OFF(zone), NULL, 0, 0, "FILE",
	  "RFC 1035 zone file to serve; its SOA names the zone", NULL },
	{ "workers", 'w', CT_OPT_UINT, OFF(workers), "1", 1, 64, "N",
	  "worker threads, each with its own SO_REUSEPORT sockets", NULL },
	{ "mode", 'm', CT_OPT_CUSTOM, OFF(mode), "answer", 0, 0, "MODE",
	  "answer; drop (never reply, conntrack entries stay UNREPLIED); delay=MS (reply MS late)",
	  parse_mode, mode_hints, .format = format_mode },
	{ "synthesize", 's', CT_OPT_LIST, OFF(synthesize), NULL, 0, 0, "ZONE",
	  "answer every nonexistent name under this loaded zone as its apex would (A, AAAA, TXT...; not SOA/NS), "
	  "for random-label load",
	  NULL },
	{ "user", 'u', CT_OPT_STR, OFF(user), "nobody", 0, 0, "NAME",
	  "started as root, switch to this user after binding ('root' keeps root)", NULL },
	{ "stats-json", 'j', CT_OPT_STR, OFF(stats_json), NULL, 0, 0, "FILE",
	  "write the counters as JSON here at exit and on SIGUSR1 (atomically)", NULL },
	{ "tcp-idle-timeout", 0, CT_OPT_DURATION, OFF(tcp_idle), "10s", CT_NS_PER_MS, 3600 * CT_NS_PER_SEC,
	  "DURATION", "close a TCP connection idle (or stalled mid-frame) this long", NULL },
	{ "tcp-max-conns", 0, CT_OPT_UINT, OFF(tcp_max_conns), "4096", 1, 1000000, "N",
	  "open TCP connections at most, over all workers; more are closed at once", NULL },
	{ "edns-size", 0, CT_OPT_UINT, OFF(edns_size), "1232", 512, 4096, "BYTES",
	  "largest UDP reply to EDNS clients (the smaller of theirs and this)", NULL },
	{ "delay-queue", 0, CT_OPT_UINT, OFF(delay_queue), "8192", 16, 1 << 20, "N",
	  "replies each UDP socket holds in delay mode; beyond it they are dropped and counted", NULL },
	{ "quiet", 'q', CT_OPT_FLAG, OFF(quiet), NULL, 0, 0, NULL,
	  "no status line or summary on the terminal", NULL },
	CT_OPT_END,
};

const char responder_cli_synopsis[] =
	"--listen ADDR:PORT [--listen ...] --zone FILE [--zone ...] [--workers N]\n"
	"       [--mode answer|drop|delay=MS] [--synthesize ZONE] [--user NAME] [--stats-json FILE]";
const char responder_cli_about[] =
	"A minimal authoritative DNS server for conntrack experiments: answers from precomputed "
	"wire data over UDP and TCP, runs in the foreground until SIGINT or SIGTERM, writes its "
	"counters on SIGUSR1 and at exit. Exit status: 0 stopped cleanly, 1 runtime failure "
	"(e.g. an address in use), 2 bad usage or bad input.";
