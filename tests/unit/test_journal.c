/* The journal: its text read and written side by side, and undo doing
 * what it promises on real (harmless) things: a "sysctl" that is a file of
 * our own, a process we started, a namespace that is already gone. */
#include "journal.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

static void test_parse_format(void **state)
{
	(void)state;
	const char *text = "owner 1234 5678 results/x-1\n"
			   "sysctl /proc/sys/net/netfilter/nf_conntrack_max 262144\n"
			   "sysctl /proc/sys/net/ipv4/ip_local_port_range 32768 60999\n"
			   "netns cts-abc-1-client\n"
			   "proc 4321 99887 responder\n"
			   "nft inet ctstorm\n"
			   "ipt 4 raw PREROUTING,OUTPUT CTSTORM-PREROUTING,CTSTORM-OUTPUT,CTSTORM-DNS table,PREROUTING\n";
	struct journal j = { 0 };
	assert_int_equal(jr_parse(&j, text), 0);
	assert_int_equal(j.owner, 1234);
	assert_int_equal(j.owner_start, 5678);
	assert_string_equal(j.results, "results/x-1");
	assert_int_equal(j.n, 6);
	assert_int_equal(j.e[4].kind, JR_NFT_TABLE);
	assert_int_equal(j.e[5].kind, JR_IPT);
	assert_string_equal(j.e[5].a, "4 raw PREROUTING,OUTPUT CTSTORM-PREROUTING,CTSTORM-OUTPUT,CTSTORM-DNS table,PREROUTING");
	assert_int_equal(j.e[0].kind, JR_SYSCTL);
	assert_string_equal(j.e[1].b, "32768 60999"); /* a value with a space */
	assert_int_equal(j.e[2].kind, JR_NETNS);
	assert_string_equal(j.e[2].a, "cts-abc-1-client");
	assert_int_equal(j.e[3].pid, 4321);
	assert_int_equal(j.e[3].start, 99887);
	size_t len;
	char *back = jr_format(&j, &len);
	assert_string_equal(back, text); /* the writer writes what the reader reads */
	free(back);
	jr_free_entries(&j);
}

static void test_refused_lines(void **state)
{
	(void)state;
	/* process 1 and 0 would be kill(-1) and kill(0): never undone */
	struct journal j = { 0 };
	assert_int_equal(jr_parse(&j, "proc 1 5 init\nproc 0 0 x\nsysctl\nnetns\nbogus line\n\n"), 5);
	assert_int_equal(j.n, 0);
	/* iptables chains undo would touch: ctstorm's only, by names a command
	 * line cannot misread */
	assert_int_equal(jr_parse(&j, "ipt 4 raw PREROUTING INPUT -\n"			/* not ours */
				      "ipt 4 raw PREROUTING CTSTORM-X;reboot -\n"		/* a shell word */
				      "ipt 5 raw PREROUTING CTSTORM-X -\n"			/* no family */
				      "ipt 4 broute PREROUTING CTSTORM-X -\n"			/* no table */
				      "ipt 4 raw prerouting CTSTORM-X -\n"			/* no built-in */
				      "ipt 4 raw PREROUTING CTSTORM-X\n"			/* fresh missing */
				      "ipt 4 raw PREROUTING CTSTORM-X - more\n"),		/* trailing */
			 7);
	assert_int_equal(j.n, 0);
	jr_free_entries(&j);
}

/* A journal in a folder of our own, its entries undone newest first. */
static void test_undo(void **state)
{
	(void)state;
	char dir[] = "/tmp/ctstorm-journal-XXXXXX";
	assert_non_null(mkdtemp(dir));
	setenv("CTSTORM_STATE_DIR", dir, 1);
	char root[300];
	snprintf(root, sizeof root, "%s/", dir);
	jr_sysctl_root = root; /* the knob below stands for a sysctl */
	char knob[300], err[512], buf[64] = "";
	snprintf(knob, sizeof knob, "%s/knob", dir);
	FILE *f = fopen(knob, "w");
	fputs("15\n", f);
	fclose(f);

	struct journal j;
	assert_int_equal(jr_open(&j, false, NULL, err, sizeof err), 0);
	/* the change recorded first, then made */
	assert_int_equal(jr_push_sysctl(&j, knob, "262144", err, sizeof err), 0);
	pid_t child = fork();
	if (child == 0) {
		setpgid(0, 0);
		pause();
		_exit(0);
	}
	setpgid(child, child);
	for (int i = 0; i < 100 && jr_proc_start(child) == 0; i++)
		usleep(1000);
	assert_int_equal(jr_push_proc(&j, child, jr_proc_start(child), "a sleeper", err, sizeof err), 0);
	assert_int_equal(jr_push_netns(&j, "cts-gone-already", err, sizeof err), 0);

	/* what is outstanding is on disk: another reader sees it */
	char path[300], *text = NULL;
	size_t cap = 0;
	snprintf(path, sizeof path, "%s/journal", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(getdelim(&text, &cap, '\0', f) > 0);
	fclose(f);
	struct journal k = { 0 };
	assert_int_equal(jr_parse(&k, text), 0);
	assert_int_equal(k.n, 3);
	assert_int_equal(k.owner, getpid());
	jr_free_entries(&k);
	free(text);

	/* undo: the namespace (gone: fine), the process (killed), the value (restored) */
	j.log = fopen("/dev/null", "w");
	assert_int_equal(jr_undo_to(&j, 0), 0);
	fclose(j.log);
	int st;
	assert_int_equal(waitpid(child, &st, WNOHANG) == child || kill(child, 0) < 0, 1);
	int fd = open(knob, O_RDONLY);
	assert_true(read(fd, buf, sizeof buf - 1) > 0);
	close(fd);
	assert_string_equal(buf, "262144");
	assert_int_equal(jr_close(&j), 0);
	assert_int_equal(access(path, F_OK), -1); /* nothing outstanding: no journal */
	unlink(knob);
	char lock[300];
	snprintf(lock, sizeof lock, "%s/lock", dir);
	unlink(lock);
	rmdir(dir);
	unsetenv("CTSTORM_STATE_DIR");
	jr_sysctl_root = "/proc/sys/net/";
}

/* A tampered journal: undo would write, delete or remove what is not
 * ctstorm's. Each such line is refused when read, and never written. */
static void test_tampered(void **state)
{
	(void)state;
	struct journal j = { 0 };
	assert_int_equal(jr_parse(&j, "sysctl /etc/shadow root::0:0\n"			/* not a sysctl */
				      "sysctl /proc/sys/kernel/core_pattern |/tmp/x\n"		/* not net */
				      "sysctl /proc/sys/net/../kernel/modprobe /tmp/x\n"	/* climbs out */
				      "sysctl /proc/sys/net/ipv4/ip_forward 1\x01\n"		/* a control char */
				      "netns ../../etc\n"					/* a path */
				      "netns a b\n"						/* two words */
				      "nft inet filter\n"					/* the host's table */
				      "nft bogus ctstorm\n"					/* no such family */
				      "nft inet ctstorm; flush ruleset\n"),			/* a second command */
			 9);
	assert_int_equal(j.n, 0);
	assert_int_equal(jr_parse(&j, "sysctl /proc/sys/net/netfilter/nf_conntrack_max 262144\n"
				      "sysctl /proc/sys/net/ipv4/ip_local_port_range 32768 60999\n"
				      "netns cts-0a1b2c-1-server\n"
				      "nft inet ctstorm_control\n"),
			 0);
	assert_int_equal(j.n, 4);
	assert_string_equal(j.e[1].b, "32768 60999");
	jr_free_entries(&j);
	/* and never written */
	char err[256];
	struct journal w = { .lock_fd = -1 };
	snprintf(w.dir, sizeof w.dir, "/nonexistent");
	assert_int_equal(jr_push_sysctl(&w, "/etc/passwd", "x", err, sizeof err), -1);
	assert_int_equal(jr_push_netns(&w, "../x", err, sizeof err), -1);
	assert_int_equal(w.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_format),
		cmocka_unit_test(test_refused_lines),
		cmocka_unit_test(test_undo),
		cmocka_unit_test(test_tampered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
