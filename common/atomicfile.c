#include "atomicfile.h"

#include "ct_err.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ct_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen)
{
	char tmp[PATH_MAX];
	if (snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >= (int)sizeof tmp)
		return ct_err(err, errlen, "%s: path too long", path);
	/* a name of its own beside the target, created exclusively: never a
	 * file or link someone else put there */
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return ct_err(err, errlen, "%s: cannot create: %s", tmp, strerror(errno));
	if (fchmod(fd, 0644) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return ct_err(err, errlen, "%s: %s", tmp, strerror(e));
	}
	const char *p = data;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = errno;
			close(fd);
			unlink(tmp);
			return ct_err(err, errlen, "%s: write failed: %s", tmp, strerror(e));
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		int e = errno;
		unlink(tmp);
		return ct_err(err, errlen, "%s: cannot flush: %s", tmp, strerror(e));
	}
	if (rename(tmp, path) < 0) {
		int e = errno;
		unlink(tmp);
		return ct_err(err, errlen, "%s: cannot rename into place: %s", path, strerror(e));
	}
	return 0;
}

int ct_json_write_atomic(const char *path, const json_t *json, char *err, size_t errlen)
{
	char *text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
	if (!text)
		return ct_err(err, errlen, "%s: cannot serialise JSON", path);
	size_t len = strlen(text);
	/* end with a newline like every text file */
	char *withnl = realloc(text, len + 2);
	if (!withnl) {
		free(text);
		return ct_err(err, errlen, "out of memory");
	}
	withnl[len] = '\n';
	withnl[len + 1] = '\0';
	int rc = ct_write_atomic(path, withnl, len + 1, err, errlen);
	free(withnl);
	return rc;
}

int ct_dir_writable(const char *path, char *err, size_t errlen)
{
	char copy[PATH_MAX];
	snprintf(copy, sizeof copy, "%s", path);
	const char *dir = dirname(copy);
	if (access(dir, W_OK | X_OK) < 0)
		return ct_err(err, errlen, "%s: directory '%s' is not writable: %s", path, dir,
			      strerror(errno));
	return 0;
}

char *ct_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ct_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? cap * 2 : 65536;
			char *b = realloc(buf, cap);
			if (!b)
				abort();
			buf = b;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r > 0) {
			n += (size_t)r;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ct_err(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return NULL;
		}
		break;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* Folder name in pfd, removed with what it holds, by descriptor: only a
 * real folder (never a link to one) of the user we run as; its entries
 * unlinked in it (a link among them removed, not followed). */
static int remove_flat_at(int pfd, const char *name)
{
	struct stat st, opened;
	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return -1;
	int dfd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0)
		return -1;
	/* the very folder looked at, not one swapped in since */
	if (fstat(dfd, &opened) < 0 || opened.st_dev != st.st_dev || opened.st_ino != st.st_ino) {
		close(dfd);
		return -1;
	}
	int lfd = dup(dfd);
	DIR *d = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (!d) {
		if (lfd >= 0)
			close(lfd);
		close(dfd);
		return -1;
	}
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dfd, e->d_name, 0);
	closedir(d);
	close(dfd);
	return unlinkat(pfd, name, AT_REMOVEDIR);
}

int ct_remove_flat_dir(const char *dir)
{
	char copy[PATH_MAX], copy2[PATH_MAX];
	snprintf(copy, sizeof copy, "%s", dir);
	snprintf(copy2, sizeof copy2, "%s", dir);
	int pfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return -1;
	int rc = remove_flat_at(pfd, basename(copy2));
	close(pfd);
	return rc;
}

void ct_remove_dead_dirs(const char *parent, const char *prefix, bool suffix_ok,
			 void (*removed)(long pid, void *arg), void *arg)
{
	DIR *d = opendir(parent);
	if (!d)
		return;
	size_t plen = strlen(prefix);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, prefix, plen) != 0 || !isdigit((unsigned char)e->d_name[plen]))
			continue;
		char *end;
		long pid = strtol(e->d_name + plen, &end, 10);
		if (pid <= 1 || (*end && !(suffix_ok && *end == '.')) || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (remove_flat_at(dirfd(d), e->d_name) == 0 && removed)
			removed(pid, arg);
	}
	closedir(d);
}
