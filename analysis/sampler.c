/* ctstorm-sampler: a namespace's conntrack count, limit, statistics
 * counters, kernel-log drops and (optionally) table composition as one
 * time series. Read-only unless --fill is given. */
#include "atomicfile.h"
#include "clock.h"
#include "ct_err.h"
#include "ctnl.h"
#include "ctstat.h"
#include "kmsg.h"
#include "log.h"
#include "netaddr.h"
#include "netns.h"
#include "opt.h"
#include "sample.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#define PROC_COUNT "/proc/sys/net/netfilter/nf_conntrack_count"
#define PROC_MAX "/proc/sys/net/netfilter/nf_conntrack_max"
#define PROC_BUCKETS "/proc/sys/net/netfilter/nf_conntrack_buckets"
#define PROC_STAT "/proc/net/stat/nf_conntrack"
/* Prometheus textfile rewrites at most this often, whatever the interval. */
#define PROM_FILE_PERIOD_NS CT_NS_PER_SEC
#define STATUS_PERIOD_NS (CT_NS_PER_SEC / 2)
/* The limit and the bucket count change only when someone changes them:
 * at short intervals read them this often, not every sample. */
#define SLOW_PERIOD_NS (100 * CT_NS_PER_MS)

#include "sampler_cli.h"

struct table_thread {
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop, ready;
	uint64_t every_ns;
	struct ct_table result;
	char err[CT_ERRLEN];
	bool failed;
};

/* The samples are taken by a thread of their own, blocked on the periodic
 * timerfd between them: a wake-up and a read of /proc a sample, nothing
 * of the event loop's, and neither a scrape nor a burst of kernel-log
 * lines can delay one. */
struct tick_thread {
	pthread_t thread;
	bool started;
	_Atomic bool stop;
};

struct sampler {
	struct sampler_cli cfg;
	struct event_base *base;
	struct event *kmsg_ev, *sigs[3], *stop_ev;
	struct evhttp *http;
	struct ct_nl *nl;
	int fd_count, fd_max, fd_buckets, fd_stat, kmsg_fd, timer_fd;
	uint64_t slow_ns, max, buckets; /* when max and buckets were last read */
	uint64_t inode;
	bool init_ns;
	uint64_t start_ns;
	uint64_t pend_table_full, pend_suppressed;
	FILE *csv, *jsonl, *kmsglog;
	struct ct_sample last;
	bool have_last;
	struct ct_summary sum;
	struct table_thread tt;
	struct tick_thread tk;
	/* what the tick thread and the loop (kernel log, scrapes) share:
	 * sum, last, have_last, pend_* */
	pthread_mutex_t lock;
	uint64_t last_prom_ns, last_status_ns;
	bool tty, failed;
	char proc_buf[16384];
};

static int read_u64(int fd, const char *what, uint64_t *out, char *err, size_t errlen)
{
	char buf[64];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return ct_err(err, errlen, "%s: read failed: %s", what, n < 0 ? strerror(errno) : "empty");
	buf[n] = '\0';
	char *end;
	errno = 0;
	unsigned long long v = strtoull(buf, &end, 10);
	if (errno || end == buf)
		return ct_err(err, errlen, "%s: not a number: '%s'", what, buf);
	*out = v;
	return 0;
}

static int read_proc_stat(struct sampler *s, struct ct_ctstat *st, uint64_t *entries, char *err, size_t errlen)
{
	ssize_t n = pread(s->fd_stat, s->proc_buf, sizeof s->proc_buf - 1, 0);
	if (n <= 0)
		return ct_err(err, errlen, "%s: read failed: %s", PROC_STAT, n < 0 ? strerror(errno) : "empty");
	char why[CT_ERRLEN];
	if (ct_stat_parse_proc(s->proc_buf, (size_t)n, st, entries, why, sizeof why) < 0)
		return ct_err(err, errlen, "%s: %s", PROC_STAT, why);
	return 0;
}

/* The count and the counters: one read of /proc/net/stat/nf_conntrack
 * (its entries column is the count), or where the sampler chose ctnetlink
 * (sampler_open: /proc lacks a counter it has), a dump and a read of
 * nf_conntrack_count. */
static int read_counters(struct sampler *s, struct ct_sample *x, char *err, size_t errlen)
{
	if (s->nl) {
		if (ct_nl_stats(s->nl, &x->st, err, errlen) == 0)
			return read_u64(s->fd_count, PROC_COUNT, &x->count, err, errlen);
		ct_log_warn("%s; counters from %s from now on", err, PROC_STAT);
		ct_nl_close(s->nl);
		s->nl = NULL;
		s->sum.source = "proc";
	}
	uint64_t entries;
	if (read_proc_stat(s, &x->st, &entries, err, errlen) < 0)
		return -1;
	if (entries != CT_STAT_NO_ENTRIES) {
		x->count = entries;
		return 0;
	}
	return read_u64(s->fd_count, PROC_COUNT, &x->count, err, errlen);
}

/* Where the counters come from: /proc/net/stat/nf_conntrack, a single
 * read a sample, unless ctnetlink has a counter it lacks (older kernels
 * print neither clash_resolve nor chaintoolong there). */
static void choose_counters(struct sampler *s)
{
	char err[CT_ERRLEN], why[CT_ERRLEN];
	struct ct_ctstat from_proc, from_nl;
	uint64_t entries;
	bool proc = read_proc_stat(s, &from_proc, &entries, why, sizeof why) == 0;
	bool nl = ct_nl_open(&s->nl, err, sizeof err) == 0 && ct_nl_stats(s->nl, &from_nl, err, sizeof err) == 0;
	bool proc_has_all = proc;
	for (int i = 0; nl && proc && i < CT_ST__COUNT; i++)
		if (from_nl.have[i] && !from_proc.have[i])
			proc_has_all = false;
	if (nl && !proc_has_all) {
		s->sum.source = "ctnetlink";
		return;
	}
	if (!nl && !proc)
		ct_log_warn("%s; %s", err, why); /* the first sample fails with the reason */
	ct_nl_close(s->nl);
	s->nl = NULL;
	s->sum.source = "proc";
}

static void write_prom_file(struct sampler *s, uint64_t now, bool force)
{
	char buf[8192], err[CT_ERRLEN];
	if (!s->cfg.prom_file || (!force && now - s->last_prom_ns < PROM_FILE_PERIOD_NS))
		return;
	s->last_prom_ns = now;
	size_t len = ct_prom_text(buf, sizeof buf, s->cfg.netns ? s->cfg.netns : "host", &s->last, &s->sum);
	if (ct_write_atomic(s->cfg.prom_file, buf, len, err, sizeof err) < 0)
		ct_log_warn("%s", err);
}

static void status_line(struct sampler *s, uint64_t now)
{
	if (!s->tty || now - s->last_status_ns < STATUS_PERIOD_NS)
		return;
	s->last_status_ns = now;
	struct ct_ctstat d;
	ct_stat_delta(&s->sum.first, &s->last.st, &d);
	fprintf(stderr, "\r\033[K%7.1fs  count %llu/%llu  peak %llu  drop %llu  early_drop %llu  kmsg table full %llu",
		s->last.t_s, (unsigned long long)s->last.count, (unsigned long long)s->last.max,
		(unsigned long long)s->sum.peak_count, (unsigned long long)d.v[CT_ST_DROP],
		(unsigned long long)d.v[CT_ST_EARLY_DROP], (unsigned long long)s->sum.kmsg_table_full);
}

/* The kernel's numbers for one sample. */
static int read_sample(struct sampler *s, struct ct_sample *x, uint64_t now, char *err, size_t errlen)
{
	if (now - s->slow_ns >= SLOW_PERIOD_NS) { /* slow_ns starts at 0: the first sample reads them */
		s->slow_ns = now;
		if (read_u64(s->fd_max, PROC_MAX, &s->max, err, errlen) < 0 ||
		    read_u64(s->fd_buckets, PROC_BUCKETS, &s->buckets, err, errlen) < 0)
			return -1;
	}
	x->max = s->max;
	x->buckets = s->buckets;
	return read_counters(s, x, err, errlen);
}

static void take_sample(struct sampler *s)
{
	char err[CT_ERRLEN];
	struct ct_sample x = { 0 };
	uint64_t now = ct_now_ns();
	x.t_s = (double)(now - s->start_ns) / 1e9;
	x.wall_s = (double)ct_wall_ns() / 1e9;
	if (read_sample(s, &x, now, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		s->failed = true; /* the tick thread stops the loop */
		return;
	}
	x.have_kmsg = s->kmsg_fd >= 0;
	x.kmsg_table_full = s->pend_table_full;
	x.kmsg_suppressed = s->pend_suppressed;
	s->pend_table_full = s->pend_suppressed = 0;
	if (s->tt.started) {
		pthread_mutex_lock(&s->tt.lock);
		if (s->tt.ready) {
			x.has_table = true;
			x.table = s->tt.result;
			s->tt.ready = false;
		}
		pthread_mutex_unlock(&s->tt.lock);
	}

	ct_summary_add(&s->sum, &x);
	s->last = x;
	s->have_last = true;
	/* whole rows on disk soon, without a write per row at short intervals */
	bool flush = s->cfg.interval >= 50 * CT_NS_PER_MS || s->sum.samples % 64 == 0;
	if (s->csv) {
		ct_csv_row(s->csv, &x);
		if (flush)
			fflush(s->csv);
	}
	if (s->jsonl) {
		ct_sample_jsonl(s->jsonl, &x);
		if (flush)
			fflush(s->jsonl);
	}
	write_prom_file(s, now, false);
	status_line(s, now);
}

/* A periodic timerfd drives the samples: no re-arming per tick, and its
 * expiration count says exactly how many ticks passed. */
static void *tick_main(void *arg)
{
	struct sampler *s = arg;
	while (!atomic_load(&s->tk.stop)) {
		uint64_t ticks = 0;
		ssize_t n = read(s->timer_fd, &ticks, sizeof ticks);
		if (n < 0 && errno == EINTR)
			continue;
		if (atomic_load(&s->tk.stop))
			break;
		pthread_mutex_lock(&s->lock);
		if (n != sizeof ticks) {
			ct_log_error("the sampling timer: %s", n < 0 ? strerror(errno) : "short read");
			s->failed = true;
		} else if (ticks > 0) {
			/* the thread fell behind (a stopped process, an overloaded
			 * CPU): count the samples that never were, do not invent them */
			s->sum.missed_samples += ticks - 1;
			take_sample(s);
		}
		bool failed = s->failed;
		pthread_mutex_unlock(&s->lock);
		if (failed) {
			event_base_loopbreak(s->base);
			break;
		}
	}
	return NULL;
}

static int tick_start(struct sampler *s)
{
	/* signals are the loop's to take */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	int rc = pthread_create(&s->tk.thread, NULL, tick_main, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -1;
	s->tk.started = true;
	return 0;
}

static void tick_stop(struct sampler *s)
{
	if (!s->tk.started)
		return;
	atomic_store(&s->tk.stop, true);
	/* wakes its read at once, whatever the interval */
	struct itimerspec now = { .it_value = { 0, 1 } };
	timerfd_settime(s->timer_fd, 0, &now, NULL);
	pthread_join(s->tk.thread, NULL);
	s->tk.started = false;
}

static bool conntrack_line(const struct ct_kmsg_record *r)
{
	for (size_t i = 0; i + 9 <= r->msglen; i++)
		if (memcmp(r->msg + i, "conntrack", 9) == 0)
			return true;
	return false;
}

static void kmsg_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sampler *s = arg;
	char rec[8192];
	(void)what;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof rec - 1);
		if (n < 0 && errno == EPIPE) {
			pthread_mutex_lock(&s->lock);
			s->sum.kmsg_lost++; /* the ring overwrote records before we read them */
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		struct ct_kmsg_record r;
		if (ct_kmsg_parse(rec, (size_t)n, &r) < 0)
			continue;
		bool keep = false;
		pthread_mutex_lock(&s->lock);
		if (r.kind == CT_KMSG_TABLE_FULL) {
			bool ours = r.has_netns ? r.netns == s->inode : s->init_ns;
			if (ours)
				s->pend_table_full++;
			keep = true;
		} else if (r.kind == CT_KMSG_SUPPRESSED) {
			s->pend_suppressed += r.suppressed;
			keep = true;
		} else {
			keep = conntrack_line(&r);
		}
		pthread_mutex_unlock(&s->lock);
		if (keep && s->kmsglog) {
			fprintf(s->kmsglog, "[%llu.%06llu] %.*s\n", (unsigned long long)(r.ts_us / 1000000),
				(unsigned long long)(r.ts_us % 1000000), (int)r.msglen, r.msg);
			fflush(s->kmsglog);
		}
	}
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	struct sampler *s = arg;
	(void)fd;
	(void)what;
	event_base_loopbreak(s->base);
}

static void metrics_cb(struct evhttp_request *req, void *arg)
{
	struct sampler *s = arg;
	char buf[8192];
	struct evbuffer *out = evbuffer_new();
	if (!out) {
		evhttp_send_error(req, 500, "out of memory");
		return;
	}
	pthread_mutex_lock(&s->lock);
	size_t len = s->have_last ? ct_prom_text(buf, sizeof buf, s->cfg.netns ? s->cfg.netns : "host", &s->last,
						 &s->sum)
				  : 0;
	pthread_mutex_unlock(&s->lock);
	if (!len) {
		evhttp_send_error(req, 503, "no sample yet");
		evbuffer_free(out);
		return;
	}
	evbuffer_add(out, buf, len);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static void *table_main(void *arg)
{
	struct table_thread *t = arg;
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		pthread_mutex_unlock(&t->lock);
		struct ct_table tab;
		char err[CT_ERRLEN];
		int rc = ct_table_dump(&tab, err, sizeof err);
		pthread_mutex_lock(&t->lock);
		if (rc < 0) {
			snprintf(t->err, sizeof t->err, "%s", err);
			t->failed = true;
			break;
		}
		t->result = tab;
		t->ready = true;
		struct timespec until;
		clock_gettime(CLOCK_MONOTONIC, &until);
		uint64_t ns = (uint64_t)until.tv_nsec + t->every_ns;
		until.tv_sec += (time_t)(ns / CT_NS_PER_SEC);
		until.tv_nsec = (long)(ns % CT_NS_PER_SEC);
		while (!t->stop && pthread_cond_timedwait(&t->cond, &t->lock, &until) != ETIMEDOUT)
			;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static int table_start(struct sampler *s, char *err, size_t errlen)
{
	struct table_thread *t = &s->tt;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);
	t->every_ns = s->cfg.table_every;
	int rc = pthread_create(&t->thread, NULL, table_main, t);
	if (rc)
		return ct_err(err, errlen, "cannot start the table thread: %s", strerror(rc));
	t->started = true;
	return 0;
}

static void table_stop(struct sampler *s)
{
	struct table_thread *t = &s->tt;
	if (!t->started)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	if (t->failed)
		ct_log_warn("table dumps stopped: %s", t->err);
	pthread_mutex_destroy(&t->lock);
	pthread_cond_destroy(&t->cond);
	t->started = false;
}

static int open_proc(const char *path, int *fd, char *err, size_t errlen)
{
	*fd = open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return ct_err(err, errlen, "%s: %s%s", path, strerror(errno),
			      errno == ENOENT ? " (conntrack is not loaded: nothing to sample; a stateful rule or "
						"'modprobe nf_conntrack' loads it)"
					      : "");
	return 0;
}

static FILE *open_out(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	if (!f)
		ct_err(err, errlen, "%s: cannot create: %s", path, strerror(errno));
	return f;
}

static int listen_http(struct sampler *s, char *err, size_t errlen)
{
	struct ct_sockaddr a;
	char why[CT_ERRLEN];
	if (ct_sockaddr_parse(s->cfg.listen, &a, why, sizeof why) < 0)
		return ct_err(err, errlen, "--listen: %s", why);
	int fd = socket(a.ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a.ss, a.len) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return ct_err(err, errlen, "--listen %s: %s", s->cfg.listen, strerror(e));
	}
	s->http = evhttp_new(s->base);
	if (!s->http || evhttp_accept_socket(s->http, fd) < 0) {
		close(fd);
		return ct_err(err, errlen, "--listen: cannot serve HTTP");
	}
	evhttp_set_cb(s->http, "/metrics", metrics_cb, s);
	return 0;
}

/* Everything before the loop that can be refused for bad input: exit 2. */
static int setup_inputs(struct sampler *s, int *netns_fd, char *err, size_t errlen)
{
	if (s->cfg.prom_file && s->cfg.listen)
		return ct_err(err, errlen, "--prom-file and --listen exclude each other");
	if (s->cfg.netns && (*netns_fd = ct_netns_open(s->cfg.netns, err, errlen)) < 0)
		return -1;
	if ((s->cfg.csv && !(s->csv = open_out(s->cfg.csv, err, errlen))) ||
	    (s->cfg.json && !(s->jsonl = open_out(s->cfg.json, err, errlen))) ||
	    (s->cfg.kmsg_log && !(s->kmsglog = open_out(s->cfg.kmsg_log, err, errlen))))
		return -1;
	if (s->cfg.summary && ct_dir_writable(s->cfg.summary, err, errlen) < 0)
		return -1;
	if (s->cfg.prom_file && ct_dir_writable(s->cfg.prom_file, err, errlen) < 0)
		return -1;
	if (s->cfg.listen && listen_http(s, err, errlen) < 0)
		return -1;
	return 0;
}

static void open_kmsg(struct sampler *s)
{
	s->kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (s->kmsg_fd < 0) {
		ct_log_warn("/dev/kmsg: %s: kernel-log columns stay empty", strerror(errno));
		return;
	}
	/* only what the kernel says from now on, never the history */
	lseek(s->kmsg_fd, 0, SEEK_END);
	s->sum.have_kmsg = true;
}

static int fill_table(struct sampler *s, char *err, size_t errlen)
{
	uint64_t count, max;
	char why[CT_ERRLEN];
	if (read_u64(s->fd_count, PROC_COUNT, &count, err, errlen) < 0 ||
	    read_u64(s->fd_max, PROC_MAX, &max, err, errlen) < 0)
		return -1;
	if (count + s->cfg.fill > max)
		return ct_err(err, errlen, "--fill %llu: the table has room for %llu more entries (count %llu, "
			      "nf_conntrack_max %llu)", (unsigned long long)s->cfg.fill,
			      (unsigned long long)(max > count ? max - count : 0), (unsigned long long)count,
			      (unsigned long long)max);
	/* outlive the run a little, never forever: a SIGKILLed sampler's
	 * entries still go away by themselves */
	uint64_t timeout = s->cfg.duration ? s->cfg.duration / CT_NS_PER_SEC + 120 : 86400;
	s->sum.fill_requested = (uint32_t)s->cfg.fill;
	if (ct_fill_create((uint32_t)s->cfg.fill, (uint32_t)timeout, &s->sum.fill_created, why, sizeof why) < 0)
		return ct_err(err, errlen, "%s", why);
	return 0;
}

static void unfill_table(struct sampler *s)
{
	char err[CT_ERRLEN];
	if (s->sum.fill_created == 0)
		return;
	if (ct_fill_remove(s->sum.fill_created, &s->sum.fill_removed, err, sizeof err) < 0)
		ct_log_error("%s", err);
}

/* Enters the namespace and opens what is sampled: its /proc files,
 * ctnetlink (or /proc/net/stat), and with --fill and --table-every the
 * synthetic entries and the dump thread. Returns the exit status to stop
 * with, or -1 to go on. */
static int sampler_open(struct sampler *s, int *netns_fd)
{
	char err[CT_ERRLEN];
	evthread_use_pthreads(); /* the tick thread may stop the loop */
	if (!(s->base = event_base_new())) {
		ct_log_error("cannot create the event loop");
		return CT_EXIT_FAIL;
	}
	if (setup_inputs(s, netns_fd, err, sizeof err) < 0)
		return ct_usage_error(err);
	open_kmsg(s);
	if (*netns_fd >= 0 && ct_netns_enter(*netns_fd, s->cfg.netns, err, sizeof err) < 0)
		return ct_usage_error(err);
	if (ct_netns_inode(&s->inode, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		return CT_EXIT_FAIL;
	}
	/* The kernel names no namespace for the initial one; PID 1's is the
	 * best guess at it. */
	struct stat st1;
	s->init_ns = stat("/proc/1/ns/net", &st1) == 0 && (uint64_t)st1.st_ino == s->inode;
	s->sum.netns_inode = s->inode;
	s->sum.interval_s = (double)s->cfg.interval / 1e9;
	if (open_proc(PROC_COUNT, &s->fd_count, err, sizeof err) < 0 ||
	    open_proc(PROC_MAX, &s->fd_max, err, sizeof err) < 0 ||
	    open_proc(PROC_BUCKETS, &s->fd_buckets, err, sizeof err) < 0 ||
	    open_proc(PROC_STAT, &s->fd_stat, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		return CT_EXIT_FAIL;
	}
	choose_counters(s);
	if (s->cfg.fill && fill_table(s, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		return s->sum.fill_created ? CT_EXIT_FAIL : CT_EXIT_USAGE;
	}
	if (s->cfg.table_every && table_start(s, err, sizeof err) < 0) {
		ct_log_error("%s", err);
		return CT_EXIT_FAIL;
	}
	return -1;
}

/* The loop: a sample per timer tick, kernel-log lines as they come, until
 * a signal or --duration; then the last lines and the last sample. */
static int sampler_loop(struct sampler *s)
{
	if (s->csv)
		ct_csv_header(s->csv);
	s->tty = isatty(STDERR_FILENO) && !s->cfg.quiet;
	s->start_ns = ct_now_ns();
	take_sample(s);
	if (s->failed)
		return CT_EXIT_FAIL; /* nothing to sample: no loop to run */
	struct timespec iv = { (time_t)(s->cfg.interval / CT_NS_PER_SEC), (long)(s->cfg.interval % CT_NS_PER_SEC) };
	struct itimerspec its = { .it_interval = iv, .it_value = iv };
	s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	bool ok = s->timer_fd >= 0 && timerfd_settime(s->timer_fd, 0, &its, NULL) == 0;
	if (ok && s->kmsg_fd >= 0)
		ok = (s->kmsg_ev = event_new(s->base, s->kmsg_fd, EV_READ | EV_PERSIST, kmsg_cb, s)) &&
		     event_add(s->kmsg_ev, NULL) == 0;
	const int signals[3] = { SIGINT, SIGTERM, SIGHUP };
	for (int i = 0; ok && i < 3; i++)
		ok = (s->sigs[i] = evsignal_new(s->base, signals[i], stop_cb, s)) && evsignal_add(s->sigs[i], NULL) == 0;
	if (ok && s->cfg.duration) {
		struct timeval dv = ct_timeval(s->cfg.duration);
		ok = (s->stop_ev = evtimer_new(s->base, stop_cb, s)) && evtimer_add(s->stop_ev, &dv) == 0;
	}
	if (!ok || tick_start(s) < 0) {
		ct_log_error("cannot set up the event loop");
		return CT_EXIT_FAIL;
	}
	event_base_dispatch(s->base);
	tick_stop(s);
	if (s->kmsg_fd >= 0)
		kmsg_cb(s->kmsg_fd, EV_READ, s); /* lines that arrived with the last packets */
	table_stop(s);
	if (!s->failed)
		take_sample(s); /* the state at the moment we stopped */
	return s->failed ? CT_EXIT_FAIL : CT_EXIT_OK;
}

/* Undoes --fill, writes the summary and the last Prometheus file, frees. */
static int sampler_close(struct sampler *s, int netns_fd, int rc)
{
	char err[CT_ERRLEN];
	tick_stop(s);
	table_stop(s);
	unfill_table(s);
	if (s->tty)
		fputc('\n', stderr);
	s->sum.duration_s = s->start_ns ? (double)(ct_now_ns() - s->start_ns) / 1e9 : 0;
	if (s->cfg.summary && s->sum.samples) {
		json_t *j = ct_summary_json(&s->sum);
		if (ct_json_write_atomic(s->cfg.summary, j, err, sizeof err) < 0) {
			ct_log_error("%s", err);
			rc = CT_EXIT_FAIL;
		}
		json_decref(j);
	}
	if (s->have_last)
		write_prom_file(s, ct_now_ns(), true);
	FILE *files[] = { s->csv, s->jsonl, s->kmsglog };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		if (files[i])
			fclose(files[i]);
	struct event *evs[] = { s->sigs[0], s->sigs[1], s->sigs[2], s->kmsg_ev, s->stop_ev };
	for (size_t i = 0; i < sizeof evs / sizeof *evs; i++)
		if (evs[i])
			event_free(evs[i]);
	if (s->http)
		evhttp_free(s->http);
	if (s->base)
		event_base_free(s->base);
	ct_nl_close(s->nl);
	int fds[] = { s->fd_count, s->fd_max, s->fd_buckets, s->fd_stat, s->kmsg_fd, s->timer_fd, netns_fd };
	for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	ct_opt_free(sampler_cli_options, &s->cfg);
	pthread_mutex_destroy(&s->lock);
	return rc;
}

int main(int argc, char **argv)
{
	struct sampler s = { .fd_count = -1, .fd_max = -1, .fd_buckets = -1, .fd_stat = -1, .kmsg_fd = -1,
			     .timer_fd = -1 };
	int netns_fd = -1, rc = CT_EXIT_FAIL;
	s.sum.first_drop_s = -1;
	if (!ct_opt_main(sampler_cli_options, &s.cfg, argc, argv, "ctstorm-sampler", sampler_cli_synopsis,
			 sampler_cli_about, &rc)) {
		ct_opt_free(sampler_cli_options, &s.cfg);
		return rc;
	}
	pthread_mutex_init(&s.lock, NULL);
	rc = sampler_open(&s, &netns_fd);
	if (rc < 0)
		rc = sampler_loop(&s);
	return sampler_close(&s, netns_fd, rc);
}
