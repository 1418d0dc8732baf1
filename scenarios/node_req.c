/* The agent's requests: one JSON line each, checked whole (node.h). */
#include "node.h"

#include "ct_err.h"
#include "scenario.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = { "hello", "sysctl-get", "sysctl-set", "status", "restore", "bye" };
#define NOPS (sizeof op_names / sizeof *op_names)

/* A sysctl's value as written: printable, one line. */
static bool plain_value(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
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
	while (i < NOPS && strcmp(op, op_names[i]) != 0)
		i++;
	if (i == NOPS) {
		ct_err(err, errlen, "unknown op '%.40s'", op);
		goto out;
	}
	r->op = (enum node_op)i;
	const char *k;
	json_t *v;
	json_object_foreach(j, k, v) {
		bool known = strcmp(k, "op") == 0 ||
			     ((r->op == NODE_SYSCTL_GET || r->op == NODE_SYSCTL_SET) && strcmp(k, "key") == 0) ||
			     (r->op == NODE_SYSCTL_SET && (strcmp(k, "value") == 0 || strcmp(k, "allow_lower") == 0));
		if (!known) {
			ct_err(err, errlen, "%s: unknown field '%.40s'", op, k);
			goto out;
		}
	}
	if (r->op == NODE_SYSCTL_GET || r->op == NODE_SYSCTL_SET) {
		const char *key = json_string_value(json_object_get(j, "key"));
		char *path = key ? sc_sysctl_path(key) : NULL;
		if (!path) {
			ct_err(err, errlen, "%s: \"key\" is a sysctl (nf_conntrack_* or net.*)", op);
			goto out;
		}
		free(path);
		if (strlen(key) >= sizeof r->key) {
			ct_err(err, errlen, "%s: the key is too long", op);
			goto out;
		}
		snprintf(r->key, sizeof r->key, "%s", key);
	}
	if (r->op == NODE_SYSCTL_SET) {
		json_t *val = json_object_get(j, "value"), *lower = json_object_get(j, "allow_lower");
		if (json_is_integer(val) && json_integer_value(val) >= 0)
			snprintf(r->value, sizeof r->value, "%lld", (long long)json_integer_value(val));
		else if (json_is_string(val) && json_string_length(val) < sizeof r->value &&
			 plain_value(json_string_value(val)) && json_string_length(val) > 0)
			snprintf(r->value, sizeof r->value, "%s", json_string_value(val));
		else {
			ct_err(err, errlen, "sysctl-set: \"value\" is a number or a short line of text");
			goto out;
		}
		if (lower && !json_is_boolean(lower)) {
			ct_err(err, errlen, "sysctl-set: \"allow_lower\" is true or false");
			goto out;
		}
		r->allow_lower = json_is_true(lower);
	}
	rc = 0;
out:
	json_decref(j);
	return rc;
}
