#include "host.h"

#include "atomicfile.h"
#include "ct_err.h"
#include "config.h"
#include "ctnl.h"
#include "proc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const host_node_names[H_NODES] = { "client", "server", "router" };

/* Addresses: all from the benchmarking ranges (RFC 2544, RFC 5180). */
#define PAIR_C4 "198.18.0.1"
#define PAIR_S4 "198.18.0.2"
#define PAIR_C6 "2001:2::1"
#define PAIR_S6 "2001:2::2"
#define RT_C4 "198.18.0.1"
#define RT_RC4 "198.18.0.254"
#define RT_RS4 "198.18.1.254"
#define RT_S4 "198.18.1.2"
#define RT_C6 "2001:2::1"
#define RT_RC6 "2001:2::fe"
#define RT_RS6 "2001:2:0:1::fe"
#define RT_S6 "2001:2:0:1::2"

static int init_fd = -1;

void host_init(void)
{
	if (init_fd < 0)
		init_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
}

static int enter(int fd)
{
	return fd < 0 ? 0 : setns(fd, CLONE_NEWNET);
}

static void leave(int fd)
{
	if (fd >= 0 && setns(init_fd, CLONE_NEWNET) < 0)
		abort(); /* we must never go on in the wrong namespace */
}

int host_read_sysctl(int fd, const char *path, char *buf, size_t len)
{
	host_init();
	if (enter(fd) < 0)
		return -1;
	int f = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = f >= 0 ? read(f, buf, len - 1) : -1;
	char more;
	/* a value longer than buf: never a truncated one (it would be saved
	 * and written back so) */
	bool whole = n < 0 || (size_t)n < len - 1 || read(f, &more, 1) == 0;
	int e = whole ? errno : EOVERFLOW;
	if (f >= 0)
		close(f);
	leave(fd);
	if (n < 0 || !whole) {
		errno = e;
		return -1;
	}
	buf[n] = '\0';
	/* one line; tabs (ip_local_port_range) as spaces */
	for (char *p = buf; *p; p++)
		if (*p == '\t')
			*p = ' ';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

int host_write_sysctl(int fd, const char *path, const char *value, char *err, size_t errlen)
{
	host_init();
	if (enter(fd) < 0)
		return ct_err(err, errlen, "setns: %s", strerror(errno));
	int f = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	size_t len = strlen(value);
	bool ok = f >= 0 && write(f, value, len) == (ssize_t)len;
	int e = errno;
	if (f >= 0 && close(f) < 0 && ok) {
		ok = false;
		e = errno;
	}
	leave(fd);
	if (!ok)
		return ct_err(err, errlen, "%s = %s: %s", path + strlen("/proc/sys/"), value, strerror(e));
	return 0;
}

static void applied(struct host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void applied(struct host *h, const char *fmt, ...)
{
	if (!h->applied_f)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(h->applied_f, fmt, ap);
	va_end(ap);
}

/* Runs a command in node n's namespace (-1: the initial one), logging it
 * and its output; a failure carries the output. */
static int cmd(struct host *h, int n, const char *input, char *err, size_t errlen, ...)
{
	char *argv[48];
	int argc = 0;
	va_list ap;
	va_start(ap, errlen);
	const char *a;
	while ((a = va_arg(ap, const char *)) && argc < 47)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;
	if (h->cmdlog) {
		fprintf(h->cmdlog, "[%s]", n < 0 ? "host" : h->ns[n]);
		for (int i = 0; i < argc; i++)
			fprintf(h->cmdlog, " %s", argv[i]);
		fputc('\n', h->cmdlog);
		if (input)
			fprintf(h->cmdlog, "%s%s", input, input[strlen(input) - 1] == '\n' ? "" : "\n");
	}
	char *out = NULL;
	int rc = pr_cmd(n < 0 ? -1 : h->fd[n], argv, input, &out, 30000, err, errlen);
	if (h->cmdlog && out && *out)
		fprintf(h->cmdlog, "  -> %s", out);
	if (h->cmdlog)
		fflush(h->cmdlog);
	if (rc > 0) {
		char *nl;
		while (out && (nl = strrchr(out, '\n')) && !nl[1])
			*nl = '\0';
		ct_err(err, errlen, "%s in %s failed (status %d): %s", argv[0], n < 0 ? "the host" : host_node_names[n], rc,
		       out && *out ? out : "no output");
		rc = -1;
	}
	free(out);
	return rc;
}

static int add_netns(struct host *h, int n, const char *prefix, char *err, size_t errlen)
{
	snprintf(h->ns[n], sizeof h->ns[n], "%s-%s", prefix, host_node_names[n]);
	if (jr_push_netns(h->j, h->ns[n], err, errlen) < 0)
		return -1;
	if (cmd(h, -1, NULL, err, errlen, "ip", "netns", "add", h->ns[n], NULL) < 0) {
		/* never made: its entry goes (undo would remove a namespace of that
		 * name that is not ours) */
		jr_pop(h->j);
		h->ns[n][0] = '\0';
		return -1;
	}
	char path[128];
	snprintf(path, sizeof path, "/run/netns/%s", h->ns[n]);
	h->fd[n] = open(path, O_RDONLY | O_CLOEXEC);
	if (h->fd[n] < 0)
		return ct_err(err, errlen, "%s: %s", path, strerror(errno));
	/* IPv4-only labs stay quiet: no IPv6 background packets (MLD, router
	 * solicitations) that would be new flows in a table counted exactly */
	if (!h->ipv6) {
		if (host_write_sysctl(h->fd[n], "/proc/sys/net/ipv6/conf/all/disable_ipv6", "1", err, errlen) < 0 ||
		    host_write_sysctl(h->fd[n], "/proc/sys/net/ipv6/conf/default/disable_ipv6", "1", err, errlen) < 0)
			return -1;
	} else {
		/* no router discovery, and no duplicate address detection: a
		 * tentative link-local address would hold up neighbour discovery
		 * (and the first queries) for a second */
		static const char *const v6[][2] = {
			{ "/proc/sys/net/ipv6/conf/default/accept_ra", "0" },
			{ "/proc/sys/net/ipv6/conf/default/router_solicitations", "0" },
			{ "/proc/sys/net/ipv6/conf/default/accept_dad", "0" },
			{ "/proc/sys/net/ipv6/conf/all/accept_dad", "0" },
		};
		for (size_t i = 0; i < sizeof v6 / sizeof *v6; i++)
			if (host_write_sysctl(h->fd[n], v6[i][0], v6[i][1], err, errlen) < 0)
				return -1;
	}
	return cmd(h, n, NULL, err, errlen, "ip", "link", "set", "lo", "up", NULL);
}

static int link_pair(struct host *h, int a, const char *an, int b, const char *bn, char *err, size_t errlen)
{
	/* both ends are born inside their namespaces: nothing ever appears in the host's */
	if (cmd(h, -1, NULL, err, errlen, "ip", "link", "add", an, "netns", h->ns[a], "type", "veth", "peer", "name", bn,
		"netns", h->ns[b], NULL) < 0)
		return -1;
	return 0;
}

static int addr(struct host *h, int n, const char *dev, const char *a4, const char *a6, char *err, size_t errlen)
{
	char p4[64], p6[64];
	snprintf(p4, sizeof p4, "%s/24", a4);
	snprintf(p6, sizeof p6, "%s/64", a6);
	if (cmd(h, n, NULL, err, errlen, "ip", "addr", "add", p4, "dev", dev, NULL) < 0)
		return -1;
	if (h->ipv6 && cmd(h, n, NULL, err, errlen, "ip", "addr", "add", p6, "dev", dev, "nodad", NULL) < 0)
		return -1;
	return cmd(h, n, NULL, err, errlen, "ip", "link", "set", dev, "up", NULL);
}

static int route(struct host *h, int n, const char *dst, const char *via4, const char *via6, char *err, size_t errlen)
{
	bool v6 = strchr(dst, ':') != NULL;
	if (strcmp(dst, "default") == 0) {
		if (cmd(h, n, NULL, err, errlen, "ip", "route", "add", "default", "via", via4, NULL) < 0)
			return -1;
		return h->ipv6 ? cmd(h, n, NULL, err, errlen, "ip", "-6", "route", "add", "default", "via", via6, NULL) : 0;
	}
	return cmd(h, n, NULL, err, errlen, "ip", v6 ? "-6" : "-4", "route", "add", dst, "via", v6 ? via6 : via4, NULL);
}

/* A fresh IPv6 link loses its first neighbour solicitation: the first
 * packets would wait a second (the retransmit timer). Resolve each hop's
 * neighbour before any rule exists, so nothing is tracked and the load's
 * first queries go out at once. */
static int ipv6_neighbour(struct host *h, int n, const char *addr, char *err, size_t errlen)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(9) };
	inet_pton(AF_INET6, addr, &sa.sin6_addr);
	for (int i = 0; i < 50; i++) {
		if (enter(h->fd[n]) < 0)
			return ct_err(err, errlen, "setns: %s", strerror(errno));
		int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			sendto(fd, "", 0, MSG_DONTWAIT, (struct sockaddr *)&sa, sizeof sa);
			close(fd);
		}
		leave(h->fd[n]);
		usleep(100000);
		char *argv[] = { "ip", "-6", "neigh", "show", (char *)addr, NULL }, *out = NULL, why[CT_ERRLEN];
		pr_cmd(h->fd[n], argv, NULL, &out, 5000, why, sizeof why);
		bool known = out && strstr(out, "lladdr");
		free(out);
		if (known)
			return 0;
	}
	return ct_err(err, errlen, "%s: no IPv6 neighbour %s after 5 s", host_node_names[n], addr);
}

void host_backend(unsigned i, bool v6, char *buf, size_t len)
{
	/* RT_S4, RT_S6 and up */
	if (v6)
		snprintf(buf, len, "2001:2:0:1::%x", 2 + i);
	else
		snprintf(buf, len, "198.18.1.%u", 2 + i);
}

/* The server's addresses beyond the first: the other DNAT backends. */
static int backend_addrs(struct host *h, char *err, size_t errlen)
{
	for (unsigned i = 1; i < h->backends; i++) {
		char a4[64], a6[64];
		host_backend(i, false, a4, sizeof a4);
		host_backend(i, true, a6, sizeof a6);
		if (addr(h, H_SERVER, "veth-s", a4, a6, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* Where the responder listens, and what the loadgen asks. */
static void endpoints(struct host *h, const char *listen4, const char *listen6, const char *target4,
		      const char *target6)
{
	snprintf(h->listen[0], sizeof h->listen[0], "%s", listen4);
	snprintf(h->listen[1], sizeof h->listen[1], "%s", h->ipv6 ? listen6 : "");
	snprintf(h->target, sizeof h->target, "%s", h->ipv6 ? target6 : target4);
}

int host_build(struct host *h, const struct sc_resolved *r, const char *prefix, struct journal *j, FILE *cmdlog,
	       char *err, size_t errlen)
{
	host_init();
	memset(h, 0, sizeof *h);
	for (int n = 0; n < H_NODES; n++)
		h->fd[n] = -1;
	h->j = j;
	h->cmdlog = cmdlog;
	h->applied_f = open_memstream(&h->applied, &h->applied_len);
	struct sc_scenario_cfg sc;
	sc_section(r, "scenario", sc_scenario_options, &sc, sizeof sc);
	h->routed = sc.topology == SC_ROUTED;
	h->ipv6 = sc.family == SC_IPV6;
	h->test = h->routed ? H_ROUTER : H_SERVER;
	snprintf(h->src_range, sizeof h->src_range, "%s", sc_value(r, "load", "src-range", ""));
	bool dnat = sc.nat == SC_DNAT;
	struct sc_node_cfg server;
	sc_section(r, "server", sc_server_options, &server, sizeof server);
	h->backends = h->routed && dnat ? (unsigned)server.backends : 1;
	h->switching = h->backends > 1 && sc.dnat_switch > 0;

	if (add_netns(h, H_CLIENT, prefix, err, errlen) < 0 || add_netns(h, H_SERVER, prefix, err, errlen) < 0 ||
	    (h->routed && add_netns(h, H_ROUTER, prefix, err, errlen) < 0))
		return -1;
	if (!h->routed) {
		if (link_pair(h, H_CLIENT, "veth-c", H_SERVER, "veth-s", err, errlen) < 0 ||
		    addr(h, H_CLIENT, "veth-c", PAIR_C4, PAIR_C6, err, errlen) < 0 ||
		    addr(h, H_SERVER, "veth-s", PAIR_S4, PAIR_S6, err, errlen) < 0)
			return -1;
		endpoints(h, PAIR_S4, PAIR_S6, PAIR_S4, PAIR_S6);
	} else {
		if (link_pair(h, H_CLIENT, "veth-c", H_ROUTER, "veth-rc", err, errlen) < 0 ||
		    link_pair(h, H_ROUTER, "veth-rs", H_SERVER, "veth-s", err, errlen) < 0 ||
		    addr(h, H_CLIENT, "veth-c", RT_C4, RT_C6, err, errlen) < 0 ||
		    addr(h, H_ROUTER, "veth-rc", RT_RC4, RT_RC6, err, errlen) < 0 ||
		    addr(h, H_ROUTER, "veth-rs", RT_RS4, RT_RS6, err, errlen) < 0 ||
		    addr(h, H_SERVER, "veth-s", RT_S4, RT_S6, err, errlen) < 0 ||
		    backend_addrs(h, err, errlen) < 0 ||
		    host_write_sysctl(h->fd[H_ROUTER], "/proc/sys/net/ipv4/ip_forward", "1", err, errlen) < 0 ||
		    (h->ipv6 && host_write_sysctl(h->fd[H_ROUTER], "/proc/sys/net/ipv6/conf/all/forwarding", "1", err, errlen) < 0) ||
		    route(h, H_CLIENT, "default", RT_RC4, RT_RC6, err, errlen) < 0 ||
		    route(h, H_SERVER, "default", RT_RS4, RT_RS6, err, errlen) < 0)
			return -1;
		/* a port forward is asked at the router's address; masquerade passes through */
		if (dnat)
			endpoints(h, RT_S4, RT_S6, RT_RC4, RT_RC6);
		else
			endpoints(h, RT_S4, RT_S6, RT_S4, RT_S6);
	}
	if (h->ipv6 && (h->routed ? ipv6_neighbour(h, H_CLIENT, RT_RC6, err, errlen) < 0 ||
					    ipv6_neighbour(h, H_ROUTER, RT_S6, err, errlen) < 0 ||
					    ipv6_neighbour(h, H_SERVER, RT_RS6, err, errlen) < 0
				  : ipv6_neighbour(h, H_CLIENT, PAIR_S6, err, errlen) < 0 ||
					    ipv6_neighbour(h, H_SERVER, PAIR_C6, err, errlen) < 0))
		return -1;
	for (unsigned i = 1; h->ipv6 && i < h->backends; i++) {
		char a6[64];
		host_backend(i, true, a6, sizeof a6);
		if (ipv6_neighbour(h, H_ROUTER, a6, err, errlen) < 0)
			return -1;
	}
	if (*h->src_range) {
		/* the client owns the whole range (an AnyIP route), the far side routes it back */
		bool v6 = strchr(h->src_range, ':') != NULL;
		if (cmd(h, H_CLIENT, NULL, err, errlen, "ip", v6 ? "-6" : "-4", "route", "add", "local", h->src_range, "dev",
			"lo", NULL) < 0)
			return -1;
		if (route(h, h->routed ? H_ROUTER : H_SERVER, h->src_range, PAIR_C4, PAIR_C6, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* ---- firewalls ---- */

static const char preset_stateful[] =
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
	"-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n"
	"-A INPUT -p tcp -m tcp --dport 53 -j ACCEPT\n"
	"-A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
	"COMMIT\n";

/* seed 004's last listing: filtering by port, no state, so conntrack never activates */
static const char preset_stateless[] =
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -p icmp -j ACCEPT\n"
	"-A INPUT -i lo -j ACCEPT\n"
	"-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n"
	"-A INPUT -p tcp -m tcp --dport 53 -j ACCEPT\n"
	"-A OUTPUT -p udp -j ACCEPT\n"
	"-A OUTPUT -p tcp -j ACCEPT\n"
	"COMMIT\n";

/* seed 000's /etc/sysconfig/iptables, with the stateful rule its host had */
static const char preset_notrack[] =
	"*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	"-A PREROUTING -p tcp -m tcp --dport 53 -j NOTRACK\n"
	"-A PREROUTING -p udp -m udp --dport 53 -j NOTRACK\n"
	"-A PREROUTING -p tcp -m tcp --sport 53 -j NOTRACK\n"
	"-A PREROUTING -p udp -m udp --sport 53 -j NOTRACK\n"
	"-A OUTPUT -p tcp -m tcp --sport 53 -j NOTRACK\n"
	"-A OUTPUT -p udp -m udp --sport 53 -j NOTRACK\n"
	"-A OUTPUT -p tcp -m tcp --dport 53 -j NOTRACK\n"
	"-A OUTPUT -p udp -m udp --dport 53 -j NOTRACK\n"
	"COMMIT\n"
	"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
	"-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n"
	"-A INPUT -p udp -m udp --sport 53 -j ACCEPT\n"
	"-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT\n"
	"COMMIT\n";

/* The nftables chains of the presets, shared by the lab's notrack-dns-nft
 * and a real server's table */
#define NFT_NOTRACK_DNS                                                                                              \
	"\tchain raw_prerouting {\n\t\ttype filter hook prerouting priority raw; policy accept;\n"                   \
	"\t\tudp dport 53 notrack\n\t\ttcp dport 53 notrack\n\t\tudp sport 53 notrack\n\t\ttcp sport 53 notrack\n\t}\n" \
	"\tchain raw_output {\n\t\ttype filter hook output priority raw; policy accept;\n"                         \
	"\t\tudp sport 53 notrack\n\t\ttcp sport 53 notrack\n\t\tudp dport 53 notrack\n\t\ttcp dport 53 notrack\n\t}\n"
#define NFT_STATEFUL_INPUT                                                                                           \
	"\tchain input {\n\t\ttype filter hook input priority filter; policy accept;\n"                             \
	"\t\tct state established,related accept\n\t\tudp dport 53 accept\n\t\ttcp dport 53 accept\n\t}\n"

static const char preset_notrack_nft[] = "table inet ctstorm_notrack {\n" NFT_NOTRACK_DNS NFT_STATEFUL_INPUT "}\n";

static int iptables_restore(struct host *h, int n, const char *text, bool noflush, char *err, size_t errlen)
{
	const char *v4 = "iptables-restore", *v6 = "ip6tables-restore";
	const char *flag = noflush ? "--noflush" : NULL;
	if (cmd(h, n, text, err, errlen, v4, flag, NULL) < 0)
		return -1;
	if (h->ipv6 && cmd(h, n, text, err, errlen, v6, flag, NULL) < 0)
		return -1;
	return 0;
}

/* The preset's rules; NULL for none. */
static const char *preset_text(unsigned fw, bool *nft)
{
	*nft = fw == SC_FW_NOTRACK_NFT;
	switch (fw) {
	case SC_FW_STATEFUL: return preset_stateful;
	case SC_FW_STATELESS: return preset_stateless;
	case SC_FW_NOTRACK: return preset_notrack;
	case SC_FW_NOTRACK_NFT: return preset_notrack_nft;
	default: return NULL;
	}
}

/* Loads one ruleset; iptables text is added to what is there when
 * something already is (noflush). */
static int load_rules(struct host *h, int n, const char *text, bool nft, bool noflush, char *err, size_t errlen)
{
	char *t;
	if (asprintf(&t, "%s\n", text) < 0)
		abort();
	int rc = nft ? cmd(h, n, t, err, errlen, "nft", "-f", "-", NULL) : iptables_restore(h, n, t, noflush, err, errlen);
	free(t);
	return rc;
}

/* A node's firewall: the preset, then the scenario's iptables and nft
 * texts, then its files. On a failure *key names the key that failed. */
static int firewall(struct host *h, int n, const struct sc_resolved *r, const char **key, char *err, size_t errlen)
{
	const char *sec = host_node_names[n];
	struct sc_node_cfg c;
	sc_section(r, sec, sc_node_table(sec), &c, sizeof c);
	unsigned fw = c.firewall != SC_FW_DEFAULT ? c.firewall : n == h->test && !h->routed ? SC_FW_STATEFUL : SC_FW_NONE;
	bool nft, loaded = false;
	const char *preset = preset_text(fw, &nft);
	applied(h, "## %s: firewall = %s\n", sec, sc_firewall_words[fw]);
	*key = "firewall";
	if (preset && load_rules(h, n, preset, nft, false, err, errlen) < 0)
		return -1;
	loaded = preset && !nft;
	const struct {
		const char *key, *text;
		bool nft, file;
	} parts[] = {
		{ "iptables", c.iptables, false, false },
		{ "nft", c.nft, true, false },
		{ "iptables-file", c.iptables_file, false, true },
		{ "nft-file", c.nft_file, true, true },
	};
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
		if (!parts[i].text)
			continue;
		*key = parts[i].key;
		char *path = parts[i].file ? sc_path(r->file, parts[i].text) : NULL;
		char *t = path ? ct_read_file(path, NULL, err, errlen) : strdup(parts[i].text);
		free(path);
		if (!t)
			return -1;
		if (parts[i].file)
			applied(h, "## %s: %s = %s\n%s\n", sec, parts[i].key, parts[i].text, t);
		else
			applied(h, "## %s: %s (scenario text)\n%s\n", sec, parts[i].key, t);
		int rc = load_rules(h, n, t, parts[i].nft, loaded, err, errlen);
		free(t);
		if (rc < 0)
			return -1;
		loaded |= !parts[i].nft;
	}
	return 0;
}

/* The scenario's firewall for a real server, as the body of the table
 * ctstorm owns there: the presets in nftables (the iptables ones
 * translated), then the scenario's nft text. NULL: leave the host's own
 * rules as they are (as-is, the default), no table. */
char *host_owned_rules(const struct sc_resolved *r, const char *section)
{
	struct sc_node_cfg server;
	sc_section(r, section, sc_node_table(section), &server, sizeof server);
	unsigned fw = server.firewall;
	if ((fw == SC_FW_DEFAULT || fw == SC_FW_AS_IS) && !server.nft && !server.nft_file)
		return NULL;
	char *body = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&body, &len);
	if (!m)
		abort();
	if (fw == SC_FW_STATEFUL)
		fputs(NFT_STATEFUL_INPUT, m);
	else if (fw == SC_FW_NOTRACK || fw == SC_FW_NOTRACK_NFT)
		fputs(NFT_NOTRACK_DNS NFT_STATEFUL_INPUT, m);
	if (server.nft)
		fprintf(m, "%s\n", server.nft);
	if (server.nft_file) {
		char *path = sc_path(r->file, server.nft_file), err[CT_ERRLEN];
		char *text = ct_read_file(path, NULL, err, sizeof err);
		if (!text)
			fprintf(stderr, "ctstorm: %s\n", err);
		fputs(text ? text : "", m);
		free(text);
		free(path);
	}
	fclose(m);
	return body;
}

char *host_owned_iptables(const struct sc_resolved *r, const char *section, char *err, size_t errlen)
{
	struct sc_node_cfg server;
	sc_section(r, section, sc_node_table(section), &server, sizeof server);
	*err = '\0';
	if (!server.iptables && !server.iptables_file)
		return NULL;
	char *file = NULL;
	if (server.iptables_file) {
		char *path = sc_path(r->file, server.iptables_file);
		file = ct_read_file(path, NULL, err, errlen);
		free(path);
		if (!file)
			return NULL;
	}
	char *text;
	if (asprintf(&text, "%s\n%s\n", server.iptables ? server.iptables : "", file ? file : "") < 0)
		abort();
	free(file);
	return text;
}

/* A port forward of DNS from the router's client side to the server; to
 * several backends as kube-proxy spreads a Service: backend i of those in
 * [from, to) takes a new flow with probability 1/(the rest), in a chain of
 * its own (CTSTORM-DNAT) that dnat-switch refills. jumps: the PREROUTING
 * rules too (the first time). */
static void dnat_rules(bool v6, unsigned from, unsigned to, bool jumps, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");
	if (!f) {
		*buf = '\0';
		return;
	}
	fputs("*nat\n", f);
	if (jumps)
		fputs(":PREROUTING ACCEPT [0:0]\n", f);
	fputs(":CTSTORM-DNAT - [0:0]\n", f);
	if (jumps)
		fputs("-A PREROUTING -i veth-rc -p udp -m udp --dport 53 -j CTSTORM-DNAT\n"
		      "-A PREROUTING -i veth-rc -p tcp -m tcp --dport 53 -j CTSTORM-DNAT\n",
		      f);
	for (unsigned i = from; i < to; i++) {
		char dst[64], stat[96] = "";
		host_backend(i, v6, dst, sizeof dst);
		if (i + 1 < to)
			snprintf(stat, sizeof stat, " -m statistic --mode random --probability %.11f", 1.0 / (double)(to - i));
		fprintf(f, "-A CTSTORM-DNAT%s -j DNAT --to-destination %s\n", stat, dst);
	}
	fputs("COMMIT\n", f);
	fclose(f);
}

int host_dnat_switch(struct host *h, bool flush, char *err, size_t errlen)
{
	char rules[4096], gone[64];
	for (int v6 = 0; v6 <= (h->ipv6 ? 1 : 0); v6++) {
		dnat_rules(v6, 1, h->backends, false, rules, sizeof rules);
		applied(h, "## router: DNAT switched from backend 1 (%s)\n%s", v6 ? "IPv6" : "IPv4", rules);
		if (cmd(h, H_ROUTER, rules, err, errlen, v6 ? "ip6tables-restore" : "iptables-restore", "--noflush", NULL) < 0)
			return -1;
		/* the pod is gone: its address with it (the others stay: promoted) */
		char pfx[80];
		host_backend(0, v6, gone, sizeof gone);
		snprintf(pfx, sizeof pfx, "%s/%d", gone, v6 ? 64 : 24);
		if ((!v6 && host_write_sysctl(h->fd[H_SERVER], "/proc/sys/net/ipv4/conf/veth-s/promote_secondaries", "1",
					      err, errlen) < 0) ||
		    cmd(h, H_SERVER, NULL, err, errlen, "ip", v6 ? "-6" : "-4", "addr", "del", pfx, "dev", "veth-s", NULL) < 0)
			return -1;
		if (!flush)
			continue;
		unsigned char svc[16], old[16];
		int family = v6 ? AF_INET6 : AF_INET;
		inet_pton(family, v6 ? RT_RC6 : RT_RC4, svc);
		inet_pton(family, gone, old);
		size_t n = 0;
		if (enter(h->fd[H_ROUTER]) < 0)
			return ct_err(err, errlen, "entering the router's namespace: %s", strerror(errno));
		int rc = ct_nl_forget_nat(family, svc, 0, svc, 53, old, &n, err, errlen);
		leave(h->fd[H_ROUTER]);
		if (rc < 0)
			return -1;
		if (h->cmdlog)
			fprintf(h->cmdlog, "[%s] conntrack -D -p udp/tcp --orig-dst %s --dst-nat %s: %zu deleted\n",
				h->ns[H_ROUTER], v6 ? RT_RC6 : RT_RC4, gone, n);
	}
	return 0;
}

static int nat(struct host *h, const struct sc_resolved *r, char *err, size_t errlen)
{
	struct sc_scenario_cfg sc;
	sc_section(r, "scenario", sc_scenario_options, &sc, sizeof sc);
	bool dnat = sc.nat == SC_DNAT;
	static const char masquerade[] = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o veth-rs -j MASQUERADE\nCOMMIT\n";
	char rules[4096];
	if (sc.nat == SC_NAT_NONE)
		return 0;
	for (int v6 = 0; v6 <= (h->ipv6 ? 1 : 0); v6++) {
		if (dnat)
			dnat_rules(v6, 0, h->switching ? 1 : h->backends, true, rules, sizeof rules);
		else
			snprintf(rules, sizeof rules, "%s", masquerade);
		applied(h, "## router: NAT (%s, %s)\n%s", dnat ? "DNAT port forward" : "MASQUERADE", v6 ? "IPv6" : "IPv4",
			rules);
		if (cmd(h, H_ROUTER, rules, err, errlen, v6 ? "ip6tables-restore" : "iptables-restore", "--noflush", NULL) < 0)
			return -1;
	}
	return 0;
}

static int global_sysctl(struct host *h, const char *key, uint64_t want, char *err, size_t errlen)
{
	char path[128], old[4096], value[32];
	snprintf(path, sizeof path, "/proc/sys/net/netfilter/%s", key);
	snprintf(value, sizeof value, "%" PRIu64, want);
	if (host_read_sysctl(-1, path, old, sizeof old) < 0)
		return ct_err(err, errlen, "%s: %s (is conntrack loaded on this host?)", path, strerror(errno));
	applied(h, "net.netfilter.%s = %s (global; was %s)\n", key, value, old);
	if (strcmp(old, value) == 0)
		return 0;
	/* The limit is the whole host's: each namespace's table is checked
	 * against it. Lowering it below what the host's own table holds would
	 * drop the host's new flows (its ssh, its DNS) while the run lasts. */
	char count[64];
	if (strcmp(key, "nf_conntrack_max") == 0 &&
	    host_read_sysctl(-1, "/proc/sys/net/netfilter/nf_conntrack_count", count, sizeof count) == 0 &&
	    strtoull(count, NULL, 10) > want / 2)
		return ct_err(err, errlen,
			      "nf_conntrack_max = %s: the host's own table holds %s entries; so low a limit would drop its new "
			      "flows while the run lasts. Run this scenario on a test host (or a VM), where the host's table is "
			      "near empty",
			      value, count);
	if (jr_push_sysctl(h->j, path, old, err, errlen) < 0)
		return -1;
	if (h->cmdlog)
		fprintf(h->cmdlog, "[host] sysctl net.netfilter.%s=%s (was %s)\n", key, value, old);
	return host_write_sysctl(-1, path, value, err, errlen);
}

/* A node's per-namespace sysctls, in the scenario's order; the global
 * ones too when globals is set (never in a scratch namespace). */
static int node_sysctls(struct host *h, int n, const struct sc_resolved *r, bool globals, const char **key, char *err,
			size_t errlen)
{
	struct sc_node_cfg c;
	sc_section(r, host_node_names[n], sc_node_table(host_node_names[n]), &c, sizeof c);
	for (size_t i = 0; i < r->nset; i++) {
		const struct sc_setting *s = r->set[i];
		if (strcmp(s->section, host_node_names[n]) != 0 || !*s->value)
			continue;
		*key = s->key;
		bool max = strcmp(s->key, "nf_conntrack_max") == 0;
		if (max || strcmp(s->key, "nf_conntrack_buckets") == 0) {
			if (globals && global_sysctl(h, s->key, sc_global_value(max ? &c.max : &c.buckets, !max), err,
						     errlen) < 0)
				return -1;
			continue;
		}
		char *path = sc_sysctl_path(s->key);
		if (!path)
			continue;
		int rc = host_write_sysctl(h->fd[n], path, s->value, err, errlen);
		if (rc == 0) {
			applied(h, "%s: %s = %s\n", host_node_names[n], s->key, s->value);
			if (h->cmdlog)
				fprintf(h->cmdlog, "[%s] sysctl %s=%s\n", h->ns[n], s->key, s->value);
		}
		free(path);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int host_configure(struct host *h, const struct sc_resolved *r, char *err, size_t errlen)
{
	const char *key;
	for (int n = 0; n < H_NODES; n++) {
		if (h->fd[n] < 0)
			continue;
		if (firewall(h, n, r, &key, err, errlen) < 0)
			return -1;
		if (n == H_ROUTER && nat(h, r, err, errlen) < 0)
			return -1;
	}
	/* the rules have loaded conntrack if anything needed it: now its sysctls exist */
	for (int n = 0; n < H_NODES; n++)
		if (h->fd[n] >= 0 && node_sysctls(h, n, r, true, &key, err, errlen) < 0)
			return -1;
	return 0;
}

int host_check_node(int fd, int n, const struct sc_resolved *r, const char **key, char *err, size_t errlen)
{
	struct sc_scenario_cfg sc;
	sc_section(r, "scenario", sc_scenario_options, &sc, sizeof sc);
	struct host h = { .routed = sc.topology == SC_ROUTED, .ipv6 = sc.family == SC_IPV6 };
	for (int i = 0; i < H_NODES; i++)
		h.fd[i] = i == n ? fd : -1;
	h.test = h.routed ? H_ROUTER : H_SERVER;
	snprintf(h.ns[n], sizeof h.ns[n], "scratch");
	host_init();
	if (firewall(&h, n, r, key, err, errlen) < 0)
		return -1;
	return node_sysctls(&h, n, r, false, key, err, errlen);
}

int host_save_ruleset(struct host *h, const char *path, char *err, size_t errlen)
{
	char *text = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&text, &len);
	if (!m)
		return ct_err(err, errlen, "out of memory");
	if (h->applied_f)
		fflush(h->applied_f);
	fprintf(m, "# The lab as applied. Topology: %s, %s.\n\n# What the scenario asked for\n%s\n",
		h->routed ? "client <-> router <-> server" : "client <-> server", h->ipv6 ? "IPv4 and IPv6" : "IPv4 only",
		h->applied ? h->applied : "");
	static const char *const ct_keys[] = { "nf_conntrack_max", "nf_conntrack_buckets", "nf_conntrack_udp_timeout",
					       "nf_conntrack_udp_timeout_stream", "nf_conntrack_tcp_timeout_time_wait",
					       "nf_conntrack_tcp_timeout_established", "nf_conntrack_generic_timeout" };
	for (int n = 0; n < H_NODES; n++) {
		if (h->fd[n] < 0)
			continue;
		fprintf(m, "# %s (namespace %s)\n## nft list ruleset\n", host_node_names[n], h->ns[n]);
		char *argv_nft[] = { "nft", "list", "ruleset", NULL }, *argv_ipt[] = { "iptables-save", NULL };
		char *out = NULL, why[CT_ERRLEN];
		pr_cmd(h->fd[n], argv_nft, NULL, &out, 10000, why, sizeof why);
		fprintf(m, "%s\n", out && *out ? out : "(empty)\n");
		free(out);
		out = NULL;
		fprintf(m, "## iptables-save\n");
		pr_cmd(h->fd[n], argv_ipt, NULL, &out, 10000, why, sizeof why);
		fprintf(m, "%s\n", out && *out ? out : "(empty)\n");
		free(out);
		fprintf(m, "## sysctls read back\n");
		for (size_t i = 0; i < sizeof ct_keys / sizeof *ct_keys; i++) {
			char p[128], v[128];
			snprintf(p, sizeof p, "/proc/sys/net/netfilter/%s", ct_keys[i]);
			if (host_read_sysctl(h->fd[n], p, v, sizeof v) == 0)
				fprintf(m, "net.netfilter.%s = %s%s\n", ct_keys[i], v, i < 2 ? " (global)" : "");
		}
		fputc('\n', m);
	}
	fclose(m);
	int rc = ct_write_atomic(path, text, len, err, errlen);
	free(text);
	return rc;
}

void host_release(struct host *h)
{
	for (int n = 0; n < H_NODES; n++)
		if (h->fd[n] >= 0) {
			close(h->fd[n]);
			h->fd[n] = -1;
		}
	if (h->applied_f) {
		fclose(h->applied_f);
		h->applied_f = NULL;
	}
	free(h->applied);
	h->applied = NULL;
}
