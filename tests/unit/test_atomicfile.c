/* Files written whole or not at all, and folders removed by descriptor:
 * what another local user plants in a shared folder (a link named as
 * ours) is never followed. */
#include "atomicfile.h"

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

static char root[64];

static void path(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", root, name);
}

static void touch(const char *name)
{
	char p[256];
	path(p, sizeof p, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs("x", f);
	fclose(f);
}

static bool exists(const char *name)
{
	char p[256];
	struct stat st;
	path(p, sizeof p, name);
	return lstat(p, &st) == 0;
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof root, "/tmp/ctstorm-unit-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* A pid no process has (above any pid_max). */
#define DEAD "2147483646"

static void test_dead_dirs(void **state)
{
	(void)state;
	char p[256], q[256];
	/* a dead controller's own folder: removed */
	path(p, sizeof p, "ctstorm-ssh." DEAD ".aaaaaa");
	assert_int_equal(mkdir(p, 0700), 0);
	touch("ctstorm-ssh." DEAD ".aaaaaa/ctl");
	/* a link planted under a dead pid's name, to a folder to be kept */
	assert_int_equal(mkdir((path(q, sizeof q, "victim"), q), 0700), 0);
	touch("victim/precious");
	path(p, sizeof p, "ctstorm-ssh." DEAD ".bbbbbb");
	assert_int_equal(symlink(q, p), 0);
	/* a folder of another user under such a name */
	path(p, sizeof p, "ctstorm-ssh." DEAD ".cccccc");
	assert_int_equal(mkdir(p, 0700), 0);
	touch("ctstorm-ssh." DEAD ".cccccc/theirs");
	bool root_user = geteuid() == 0;
	if (root_user)
		assert_int_equal(chown(p, 65534, 65534), 0);
	/* a live one: ours, running */
	char live[64];
	snprintf(live, sizeof live, "ctstorm-ssh.%d.dddddd", (int)getpid());
	path(p, sizeof p, live);
	assert_int_equal(mkdir(p, 0700), 0);

	ct_remove_dead_dirs(root, "ctstorm-ssh.", true, NULL, NULL);
	assert_false(exists("ctstorm-ssh." DEAD ".aaaaaa"));
	assert_true(exists("victim/precious")); /* the link was not followed */
	assert_true(exists("ctstorm-ssh." DEAD ".bbbbbb"));
	if (root_user)
		assert_true(exists("ctstorm-ssh." DEAD ".cccccc/theirs"));
	assert_true(exists(live));
	/* a link given by name: left, and so is what it points to */
	path(p, sizeof p, "ctstorm-ssh." DEAD ".bbbbbb");
	assert_int_equal(ct_remove_flat_dir(p), -1);
	assert_true(exists("victim/precious"));
}

static void test_write_atomic(void **state)
{
	(void)state;
	char p[256], err[256];
	path(p, sizeof p, "out.json");
	assert_int_equal(ct_write_atomic(p, "{}\n", 3, err, sizeof err), 0);
	size_t len;
	char *text = ct_read_file(p, &len, err, sizeof err);
	assert_non_null(text);
	assert_int_equal(len, 3);
	free(text);
	struct stat st;
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	/* a planted temporary name does not catch the write */
	path(p, sizeof p, "out.json.tmp.000000");
	assert_int_equal(symlink("/nonexistent/x", p), 0);
	path(p, sizeof p, "out.json");
	assert_int_equal(ct_write_atomic(p, "[]\n", 3, err, sizeof err), 0);
	text = ct_read_file(p, &len, err, sizeof err);
	assert_string_equal(text, "[]\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dead_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic, setup, teardown),
	};
	return cmocka_run_group_tests_name("atomicfile", tests, NULL, NULL);
}
