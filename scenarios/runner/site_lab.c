/* The lab's site: for each variant, fresh namespaces (client, server, a
 * router when routed) built and configured as the variant says (host.h),
 * each a node of the lab's transport (node_lab.h); removed after it. */
#include "runner.h"

#include "ct_err.h"
#include "host.h"
#include "node_lab.h"
#include "rf_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct site_lab {
	struct site s;
	struct host h;
	bool built;
	struct lab_node nodes[H_NODES];
};

static int lab_up(struct site *s, struct run_session *c, struct variant *V, size_t idx, struct roles *R, char *err,
		  size_t errlen)
{
	struct site_lab *L = (struct site_lab *)s;
	char prefix[64], why[CT_ERRLEN] = "", path[1200];
	memset(&L->h, 0, sizeof L->h);
	snprintf(prefix, sizeof prefix, "cts-%s-%zu", c->id, idx + 1);
	if (c->cmdlog)
		fprintf(c->cmdlog, "# variant %s\n", V->name);
	L->built = true;
	if (host_build(&L->h, &V->r, prefix, &c->j, c->cmdlog, why, sizeof why) < 0 ||
	    host_configure(&L->h, &V->r, why, sizeof why) < 0)
		return ct_err(err, errlen, "building the lab: %s", why);
	snprintf(path, sizeof path, "%s/" RF_RULESET, V->vdir);
	if (host_save_ruleset(&L->h, path, why, sizeof why) < 0)
		fprintf(stderr, "ctstorm: %s\n", why);
	for (int n = 0; n < H_NODES; n++)
		if (*L->h.ns[n])
			lab_node_init(&L->nodes[n], host_node_names[n], L->h.fd[n], L->h.ns[n], L->h.ipv6, V->vdir, &c->j,
				      c->cmdlog);
	R->server = &L->nodes[H_SERVER].n;
	R->test = &L->nodes[L->h.test].n;
	R->clients[0] = &L->nodes[H_CLIENT].n;
	R->nclients = 1;
	R->switching = L->h.switching;
	snprintf(R->target, sizeof R->target, "%s", L->h.target);
	/* backend 1's addresses, then the other backends' */
	for (int v6 = 0; v6 < 2; v6++)
		if (*L->h.listen[v6])
			snprintf(R->listen[R->nlisten++], sizeof R->listen[0], v6 ? "[%s]:53" : "%s:53", L->h.listen[v6]);
	for (unsigned b = 1; b < L->h.backends; b++) {
		for (int v6 = 0; v6 <= (L->h.ipv6 ? 1 : 0); v6++) {
			char addr[64];
			host_backend(b, v6, addr, sizeof addr);
			snprintf(R->listen[R->nlisten++], sizeof R->listen[0], v6 ? "[%s]:53" : "%s:53", addr);
		}
	}
	return 0;
}

static int lab_dnat_switch(struct site *s, const struct variant *V, char *err, size_t errlen)
{
	return host_dnat_switch(&((struct site_lab *)s)->h, V->sc.dnat_switch_flush, err, errlen);
}

static void lab_down(struct site *s, struct run_session *c, const struct variant *V, struct vresult *v)
{
	(void)c;
	(void)V;
	(void)v;
	struct site_lab *L = (struct site_lab *)s;
	for (int n = 0; n < H_NODES; n++)
		if (L->nodes[n].n.ops)
			lab_node_kill(&L->nodes[n]);
	memset(L->nodes, 0, sizeof L->nodes);
	if (L->built)
		host_release(&L->h); /* the journal removes the namespaces */
	L->built = false;
}

static const struct node *lab_broken(const struct site *s)
{
	(void)s;
	return NULL;
}

static void lab_close(struct site *s, const char *dir)
{
	(void)dir;
	free(s);
}

static const struct site_ops lab_site_ops = {
	.up = lab_up,
	.dnat_switch = lab_dnat_switch,
	.down = lab_down,
	.broken = lab_broken,
	.close = lab_close,
};

struct site *site_lab_new(void)
{
	struct site_lab *L = calloc(1, sizeof *L);
	if (!L)
		abort();
	L->s.ops = &lab_site_ops;
	return &L->s;
}
