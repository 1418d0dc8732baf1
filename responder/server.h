/* Sockets, threads and behaviour modes around the handler.
 *
 * Each worker thread runs its own libevent loop with its own SO_REUSEPORT
 * UDP socket and TCP listener per --listen address. UDP is read and
 * written in batches (recvmmsg -> handle each -> sendmmsg) into buffers
 * allocated once per worker; TCP uses bufferevents (RFC 7766 framing,
 * pipelining, idle timeout, a connection limit shared by all workers). */
#ifndef CT_SERVER_H
#define CT_SERVER_H

#include "handler.h"
#include "netaddr.h"
#include "stats.h"

#include <stdbool.h>
#include <stdint.h>

enum ct_mode_kind {
	CT_MODE_ANSWER,  /* reply at once */
	CT_MODE_DROP,    /* never reply: conntrack entries stay UNREPLIED */
	CT_MODE_DELAY,   /* reply after delay_ns */
};

struct ct_mode {
	enum ct_mode_kind kind;
	uint64_t delay_ns;
};

/* "answer", "drop" or "delay=MS" (MS in milliseconds; "delay=1.5s" works too). */
int ct_mode_parse(const char *text, struct ct_mode *mode, char *err, size_t errlen);
const char *ct_mode_str(const struct ct_mode *mode, char *buf, size_t buflen);

struct ct_listen {
	struct ct_sockaddr addr;
	struct ct_mode mode;
	bool has_mode;        /* else the server-wide --mode applies */
	char text[CT_ADDRSTRLEN];
};

/* "ADDR:PORT" or "ADDR:PORT,mode=MODE". */
int ct_listen_parse(const char *text, struct ct_listen *l, char *err, size_t errlen);

struct ct_server_cfg {
	const struct ct_handler_cfg *handler;
	struct ct_listen *listens;
	size_t nlistens;
	unsigned workers;
	uint64_t tcp_idle_ns;
	unsigned tcp_max_conns;
	unsigned delay_queue;  /* UDP replies a socket may hold in delay mode */
};

struct ct_server;

/* Creates and binds every socket (the step that may need root). */
int ct_server_open(struct ct_server **out, const struct ct_server_cfg *cfg, char *err, size_t errlen);

/* Starts the worker threads. */
int ct_server_start(struct ct_server *srv, char *err, size_t errlen);

/* Stops and joins the workers; safe to call once after start. */
void ct_server_stop(struct ct_server *srv);

void ct_server_free(struct ct_server *srv);

/* The address a listener's first worker socket is bound to (type is
 * SOCK_DGRAM or SOCK_STREAM); useful with port 0. */
int ct_server_local_addr(const struct ct_server *srv, size_t listen_index, int type,
			 struct ct_sockaddr *out);

/* Sums the workers' counters (callable while running). */
void ct_server_snapshot(const struct ct_server *srv, struct ct_stats_snapshot *out);

#endif
