/* The agent's requests: one JSON line each, checked whole (node.h). */
#include "node.h"

#include "ct_err.h"
#include "netaddr.h"
#include "scenario.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const node_prog_names[NODE_NPROGS] = { "responder", "sampler", "loadgen" };

/* Each op and the fields it takes (besides "op"). */
static const struct {
	const char *name;
	const char *fields[4];
} ops[] = {
	[NODE_HELLO] = { "hello", { NULL } },
	[NODE_SYSCTL_GET] = { "sysctl-get", { "key" } },
	[NODE_SYSCTL_SET] = { "sysctl-set", { "key", "value", "allow_lower" } },
	[NODE_STATUS] = { "status", { NULL } },
	[NODE_RESTORE] = { "restore", { NULL } },
	[NODE_BYE] = { "bye", { NULL } },
	[NODE_PUT] = { "put", { "name", "data" } },
	[NODE_GET] = { "get", { "name" } },
	[NODE_SPAWN] = { "spawn", { "prog", "args" } },
	[NODE_ALIVE] = { "alive", { "prog" } },
	[NODE_READY] = { "ready", { "prog", "what" } },
	[NODE_STOP] = { "stop", { "prog", "signal", "grace_ms" } },
	[NODE_FIREWALL] = { "firewall", { "nft" } },
	[NODE_RULESET] = { "ruleset", { NULL } },
	[NODE_FORGET] = { "forget", { "src", "dst", "port" } },
	[NODE_TIME] = { "time", { NULL } },
	[NODE_IPTABLES] = { "iptables", { "rules", "family" } },
	[NODE_ROUTE] = { "route", { "range", "via", "local" } },
	[NODE_LEASE] = { "lease", { NULL } },
};
#define NOPS (sizeof ops / sizeof *ops)

/* A sysctl's value or an argument as written: printable, one line. */
static bool plain_value(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

bool node_file_name_ok(const char *name)
{
	if (!*name || *name == '.' || strlen(name) >= 64)
		return false;
	for (; *name; name++)
		if (!(*name >= 'a' && *name <= 'z') && !(*name >= 'A' && *name <= 'Z') && !(*name >= '0' && *name <= '9') &&
		    !strchr("._-", *name))
			return false;
	return true;
}

void node_req_free(struct node_req *r)
{
	free(r->data);
	r->data = NULL;
	for (size_t i = 0; r->args[i]; i++) {
		free(r->args[i]);
		r->args[i] = NULL;
	}
}

static bool known_field(enum node_op op, const char *k)
{
	if (strcmp(k, "op") == 0)
		return true;
	for (size_t i = 0; i < 4 && ops[op].fields[i]; i++)
		if (strcmp(k, ops[op].fields[i]) == 0)
			return true;
	return false;
}

/* The fields of each op, checked; err says what is wrong. */
static int fields(json_t *j, struct node_req *r, const char *op, char *err, size_t errlen)
{
	if (r->op == NODE_SYSCTL_GET || r->op == NODE_SYSCTL_SET) {
		const char *key = json_string_value(json_object_get(j, "key"));
		char *path = key ? sc_sysctl_path(key) : NULL;
		free(path);
		if (!path)
			return ct_err(err, errlen, "%s: \"key\" is a sysctl (nf_conntrack_* or net.*)", op);
		if (strlen(key) >= sizeof r->key)
			return ct_err(err, errlen, "%s: the key is too long", op);
		snprintf(r->key, sizeof r->key, "%s", key);
	}
	if (r->op == NODE_SYSCTL_SET) {
		json_t *val = json_object_get(j, "value"), *lower = json_object_get(j, "allow_lower");
		if (json_is_integer(val) && json_integer_value(val) >= 0)
			snprintf(r->value, sizeof r->value, "%lld", (long long)json_integer_value(val));
		else if (json_is_string(val) && json_string_length(val) < sizeof r->value &&
			 plain_value(json_string_value(val)) && json_string_length(val) > 0)
			snprintf(r->value, sizeof r->value, "%s", json_string_value(val));
		else
			return ct_err(err, errlen, "sysctl-set: \"value\" is a number or a short line of text");
		if (lower && !json_is_boolean(lower))
			return ct_err(err, errlen, "sysctl-set: \"allow_lower\" is true or false");
		r->allow_lower = json_is_true(lower);
	}
	if (r->op == NODE_PUT || r->op == NODE_GET) {
		const char *name = json_string_value(json_object_get(j, "name"));
		if (!name || !node_file_name_ok(name))
			return ct_err(err, errlen, "%s: \"name\" is a file name of letters, digits and ._- (no path)", op);
		snprintf(r->name, sizeof r->name, "%s", name);
	}
	if (r->op == NODE_PUT || r->op == NODE_FIREWALL || r->op == NODE_IPTABLES) {
		const char *field = r->op == NODE_PUT ? "data" : r->op == NODE_FIREWALL ? "nft" : "rules";
		json_t *d = json_object_get(j, field);
		if (!json_is_string(d) || json_string_length(d) > NODE_MAX_DATA ||
		    strlen(json_string_value(d)) != json_string_length(d))
			return ct_err(err, errlen, "%s: \"%s\" is text (no NUL) of at most 16 MiB", op, field);
		r->data = strdup(json_string_value(d));
		if (!r->data)
			abort();
	}
	if (r->op == NODE_IPTABLES) {
		json_t *f = json_object_get(j, "family");
		if (!json_is_integer(f) || (json_integer_value(f) != 4 && json_integer_value(f) != 6))
			return ct_err(err, errlen, "iptables: \"family\" is 4 (iptables) or 6 (ip6tables)");
		r->family = (int)json_integer_value(f);
	}
	if (r->op == NODE_SPAWN || r->op == NODE_ALIVE || r->op == NODE_READY || r->op == NODE_STOP) {
		const char *prog = json_string_value(json_object_get(j, "prog"));
		size_t i = 0;
		while (prog && i < NODE_NPROGS && strcmp(prog, node_prog_names[i]) != 0)
			i++;
		if (!prog || i == NODE_NPROGS)
			return ct_err(err, errlen, "%s: \"prog\" is responder, sampler or loadgen", op);
		r->prog = (enum node_prog)i;
	}
	if (r->op == NODE_SPAWN) {
		json_t *a = json_object_get(j, "args"), *x;
		size_t i;
		if (!json_is_array(a) || json_array_size(a) > NODE_MAX_ARGS)
			return ct_err(err, errlen, "spawn: \"args\" is a list of at most %d arguments", NODE_MAX_ARGS);
		json_array_foreach(a, i, x) {
			const char *s = json_string_value(x);
			if (!s || !plain_value(s) || strlen(s) > 4096)
				return ct_err(err, errlen, "spawn: argument %zu is not one printable line", i + 1);
			/* what the program writes stays in the agent's folder: no path
			 * (a source range is the one value with a '/') */
			if (strchr(s, '/') && strncmp(s, "--src-range=", 12) != 0)
				return ct_err(err, errlen, "spawn: argument %zu names a path: files are the agent's, by name", i + 1);
			if (!(r->args[i] = strdup(s)))
				abort();
		}
	}
	if (r->op == NODE_READY) {
		const char *what = json_string_value(json_object_get(j, "what"));
		if (!what || (strcmp(what, "port53") != 0 && strcmp(what, "sample") != 0))
			return ct_err(err, errlen, "ready: \"what\" is port53 or sample");
		r->ready = strcmp(what, "port53") == 0 ? NODE_READY_PORT53 : NODE_READY_SAMPLE;
	}
	if (r->op == NODE_STOP) {
		const char *sig = json_string_value(json_object_get(j, "signal"));
		json_t *g = json_object_get(j, "grace_ms");
		if (!sig || (strcmp(sig, "INT") != 0 && strcmp(sig, "TERM") != 0))
			return ct_err(err, errlen, "stop: \"signal\" is INT or TERM");
		if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) > 120000)
			return ct_err(err, errlen, "stop: \"grace_ms\" is 0 to 120000");
		r->signal = strcmp(sig, "INT") == 0 ? SIGINT : SIGTERM;
		r->grace_ms = (unsigned)json_integer_value(g);
	}
	if (r->op == NODE_FORGET) {
		const char *src = json_string_value(json_object_get(j, "src")),
			   *dst = json_string_value(json_object_get(j, "dst"));
		json_t *port = json_object_get(j, "port");
		unsigned char a[16];
		bool v6 = dst && strchr(dst, ':');
		if (!dst || strlen(dst) >= sizeof r->dst || inet_pton(v6 ? AF_INET6 : AF_INET, dst, a) != 1)
			return ct_err(err, errlen, "forget: \"dst\" is an IPv4 or IPv6 address");
		/* src: one address, or a source range (ADDR/PREFIX) */
		char one[80];
		struct ct_cidr range;
		if (src && strlen(src) < sizeof one)
			snprintf(one, sizeof one, strchr(src, '/') ? "%s" : "%s/%d", src, v6 ? 128 : 32);
		if (json_object_get(j, "src") &&
		    (!src || strlen(src) >= sizeof one || ct_cidr_parse(one, &range, err, errlen) < 0 ||
		     range.base.ss.ss_family != (v6 ? AF_INET6 : AF_INET)))
			return ct_err(err, errlen, "forget: \"src\" is an address or a range (ADDR/PREFIX) of dst's family");
		if (!json_is_integer(port) || json_integer_value(port) < 1 || json_integer_value(port) > 65535)
			return ct_err(err, errlen, "forget: \"port\" is 1 to 65535");
		snprintf(r->dst, sizeof r->dst, "%s", dst);
		r->src_prefix = v6 ? 128 : 32;
		if (src) { /* as parsed: the host bits cleared */
			char text[80];
			ct_cidr_str(&range, text, sizeof text);
			snprintf(r->src, sizeof r->src, "%.*s", (int)strcspn(text, "/"), text);
			r->src_prefix = range.prefix;
		}
		r->port = (unsigned)json_integer_value(port);
	}
	if (r->op == NODE_ROUTE) {
		const char *range = json_string_value(json_object_get(j, "range")),
			   *via = json_string_value(json_object_get(j, "via"));
		json_t *local = json_object_get(j, "local");
		struct ct_cidr c;
		unsigned char a[16];
		if (!range || strlen(range) >= sizeof r->route || ct_cidr_parse(range, &c, err, errlen) < 0)
			return ct_err(err, errlen, "route: \"range\" is ADDR/PREFIX");
		if (local && !json_is_boolean(local))
			return ct_err(err, errlen, "route: \"local\" is true or false");
		r->local = json_is_true(local);
		if (json_object_get(j, "via") &&
		    (r->local || !via || strlen(via) >= sizeof r->dst || inet_pton(c.base.ss.ss_family, via, a) != 1))
			return ct_err(err, errlen, "route: \"via\" is an address of the range's family (not with local)");
		ct_cidr_str(&c, r->route, sizeof r->route); /* as parsed: the host bits cleared */
		snprintf(r->dst, sizeof r->dst, "%s", via ? via : "");
	}
	return 0;
}

int node_parse_request(const char *line, size_t len, struct node_req *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	json_error_t je;
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return ct_err(err, errlen, "not JSON: %s (column %d)", je.text, je.column);
	int rc = -1;
	const char *op = json_string_value(json_object_get(j, "op"));
	if (!json_is_object(j) || !op) {
		ct_err(err, errlen, "a request is an object with \"op\"");
		goto out;
	}
	size_t i = 0;
	while (i < NOPS && strcmp(op, ops[i].name) != 0)
		i++;
	if (i == NOPS) {
		ct_err(err, errlen, "unknown op '%.40s'", op);
		goto out;
	}
	r->op = (enum node_op)i;
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v)
		if (!known_field(r->op, k)) {
			ct_err(err, errlen, "%s: unknown field '%.40s'", op, k);
			goto out;
		}
	rc = fields(j, r, op, err, errlen);
out:
	if (rc < 0)
		node_req_free(r);
	json_decref(j);
	return rc;
}
