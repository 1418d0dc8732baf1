#include "responders.h"

#include <string.h>

static void nsd_conf(FILE *f, const char addr[2][64], const char *dir, const char *zone, const char *zonefile)
{
	fprintf(f, "server:\n");
	for (int i = 0; i < 2; i++)
		if (*addr[i])
			fprintf(f, "  ip-address: %s\n", addr[i]);
	fprintf(f,
		"  port: 53\n  server-count: 1\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"%s\"\n"
		"  database: \"\"\n  pidfile: \"%s/nsd.pid\"\n  xfrdfile: \"%s/xfrd.state\"\n"
		"  zonelistfile: \"%s/zone.list\"\n  rrl-ratelimit: 0\n  tcp-count: 1000\n  verbosity: 1\n"
		"remote-control:\n  control-enable: no\nzone:\n  name: %s\n  zonefile: \"%s\"\n",
		dir, dir, dir, dir, zone, zonefile);
}

static void knot_conf(FILE *f, const char addr[2][64], const char *dir, const char *zone, const char *zonefile)
{
	fprintf(f, "server:\n");
	for (int i = 0; i < 2; i++)
		if (*addr[i])
			fprintf(f, "  listen: %s@53\n", addr[i]);
	fprintf(f,
		"  udp-workers: 1\n  tcp-workers: 1\n  background-workers: 1\n  rundir: \"%s\"\n"
		"  user: root:root\ndatabase:\n  storage: \"%s\"\nlog:\n  - target: stderr\n    any: warning\n"
		"zone:\n  - domain: %s\n    file: \"%s\"\n    journal-content: none\n    zonefile-load: whole\n",
		dir, dir, zone, zonefile);
}

static const struct ext_responder responders[] = {
	{ "nsd", nsd_conf, { "nsd", "-d", "-c", "%c", NULL } },
	{ "knot", knot_conf, { "knotd", "-c", "%c", NULL } },
};

const struct ext_responder *ext_responder_find(const char *name)
{
	for (size_t i = 0; i < sizeof responders / sizeof *responders; i++)
		if (strcmp(responders[i].name, name) == 0)
			return &responders[i];
	return NULL;
}
