/* The runner's own scenario sections as option tables, fio-style: one
 * entry per key (type, default as text, range, help) drives the checker,
 * the runner's typed view of a variant and `ctstorm keys`. The binaries'
 * sections ([load], [sampler], the responder's keys of [server]) use the
 * binaries' own tables (lg_cli, sampler_cli, responder_cli). */
#ifndef SC_CONFIG_H
#define SC_CONFIG_H

#include "opt.h"
#include "scenario.h"

#include <stdbool.h>
#include <stdint.h>

enum sc_topology { SC_PAIR, SC_ROUTED };
enum sc_nat { SC_MASQUERADE, SC_DNAT, SC_NAT_NONE };
enum sc_family { SC_IPV4, SC_IPV6 };
enum sc_responder { SC_RESP_CTSTORM, SC_RESP_NSD, SC_RESP_KNOT, SC_RESP_EXTERNAL };
enum sc_firewall { SC_FW_DEFAULT, SC_FW_NONE, SC_FW_STATEFUL, SC_FW_STATELESS, SC_FW_NOTRACK, SC_FW_NOTRACK_NFT, SC_FW_AS_IS };

struct sc_scenario_cfg {
	const char *name, *description, *seed;
	unsigned topology, nat, family;
	uint64_t settle, tail;  /* ns */
	uint64_t dnat_switch;   /* ns after the load's start; 0: none */
	bool after_pass;        /* the load starts right after a collector pass */
	bool dnat_switch_flush;
};

struct sc_canary_cfg {
	double rate;            /* 0: no canary */
};

struct sc_probe_cfg {
	uint64_t warmup, hold, budget;  /* ns */
	uint64_t precision;             /* percent */
};

/* nf_conntrack_max and nf_conntrack_buckets: a number or seed 004's formula. */
struct sc_global {
	bool given;
	bool formula;
	uint64_t value;
};

/* [server], [router], [client]: the node keys. Per-namespace sysctls
 * (nf_conntrack_* and net.*) are open keys beside them. */
struct sc_node_cfg {
	unsigned firewall;      /* enum sc_firewall */
	const char *iptables, *nft, *iptables_file, *nft_file;
	struct sc_global max, buckets;
	/* [server] only */
	unsigned responder;     /* enum sc_responder */
	const char *zone;
	const char *address;    /* a real server: where the load goes (an IP address) */
	bool allow_lower;       /* a real server: nf_conntrack_max may go below the host's */
	uint64_t backends;      /* the lab's DNAT targets: addresses of the server */
};

#define SC_MAX_BACKENDS 8

/* [hosts]: the lab's roles on real hosts, over ssh (the text as written:
 * ssh://[USER@]HOST[:PORT], checked by ssh_target_parse). */
struct sc_hosts_cfg {
	const char *server;
	const char *router;   /* a real forwarding box under test (topology = routed) */
	const char *client;   /* ssh://a, ssh://b: load hosts */
	const char *weights;  /* 2, 1: their shares of the load (default: even) */
};

/* Whether [hosts] client (NULL: not given) is this host's own stack: no
 * load host. */
bool sc_client_local(const char *client);

/* The load hosts of [hosts] client, in order: the URLs split at commas
 * into urls[] (malloc'd copies) and their weights (1 each by default);
 * none for local. Returns how many, or -1 with err (a bad URL, local
 * among URLs, weights that do not match). */
#define SC_MAX_LOAD_HOSTS 16
int sc_load_hosts(const char *client, const char *weights, char *urls[SC_MAX_LOAD_HOSTS],
		  unsigned w[SC_MAX_LOAD_HOSTS], char *err, size_t errlen);

extern const struct ct_opt sc_scenario_options[];
extern const struct ct_opt sc_canary_options[];
extern const struct ct_opt sc_probe_options[];
extern const struct ct_opt sc_node_options[];    /* [client] */
extern const struct ct_opt sc_router_options[];  /* [router]: the node's keys and allow-lower */
extern const struct ct_opt sc_server_options[];  /* the node keys and responder, zone, address, allow-lower */
extern const struct ct_opt sc_hosts_options[];
extern const char *const sc_firewall_words[];

#define SC_GLOBAL_MAX (1u << 26)

/* The sections a scenario's keys live in, in the order the docs list
 * them: the table that reads each, the keys of it the runner sets itself
 * (refused in a scenario), whose options they are (NULL: the runner's),
 * and whether it is a node (which adds per-namespace sysctls). */
struct sc_section_kind {
	const char *name;
	const struct ct_opt *table;
	const char *const *reserved;  /* NULL-terminated, or NULL */
	const char *binary;
	bool node;
	const char *about;
	/* KEY, VALUE pairs, NULL-terminated (or NULL): where the runner's
	 * default differs from the binary's own, for the scenario's keys */
	const char *const *defaults;
};

/* A key's default in a scenario's section: the runner's own for it, or
 * the option's (NULL: none). */
const char *sc_key_default(const char *section, const struct ct_opt *o);

extern const struct sc_section_kind sc_sections[];

/* The kind of a plain section, or NULL. */
const struct sc_section_kind *sc_section_kind(const char *name);

/* Whether key is among words (NULL-terminated; NULL: none): e.g. a
 * section's reserved keys. */
bool sc_word_in(const char *const *words, const char *key);

/* The keys of ctstorm-responder the runner sets itself ([server]). */
extern const char *const sc_responder_reserved[];

/* The node table of a section: [server]'s has responder and zone too. */
const struct ct_opt *sc_node_table(const char *section);

/* A section of a resolved variant in its typed form (cfg of size bytes):
 * zeros, the defaults (sc_key_default's), then every key of the section the table knows
 * (others are skipped: a validated scenario has none but the binaries'
 * and the sysctls). */
void sc_section(const struct sc_resolved *r, const char *section, const struct ct_opt *table, void *cfg, size_t size);

/* The global value to write: the number, or the formula's for this host. */
uint64_t sc_global_value(const struct sc_global *g, bool buckets);

#endif
