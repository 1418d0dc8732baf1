#include "netns.h"

#include "ct_err.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ct_netns_open(const char *spec, char *err, size_t errlen)
{
	char path[PATH_MAX];
	if (spec[0] == '\0')
		return ct_err(err, errlen, "empty namespace name");
	if (strchr(spec, '/'))
		snprintf(path, sizeof path, "%s", spec);
	else if (strspn(spec, "0123456789") == strlen(spec))
		snprintf(path, sizeof path, "/proc/%s/ns/net", spec);
	else
		snprintf(path, sizeof path, "/run/netns/%s", spec);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ct_err(err, errlen, "namespace '%s': cannot open %s: %s", spec, path, strerror(errno));
	return fd;
}

int ct_netns_enter(int fd, const char *spec, char *err, size_t errlen)
{
	if (setns(fd, CLONE_NEWNET) < 0)
		return ct_err(err, errlen, "namespace '%s': setns: %s%s", spec, strerror(errno),
			      errno == EPERM ? " (needs root)" : errno == EINVAL ? " (not a network namespace)" : "");
	return 0;
}

int ct_netns_inode(uint64_t *inode, char *err, size_t errlen)
{
	struct stat st;
	if (stat("/proc/thread-self/ns/net", &st) < 0)
		return ct_err(err, errlen, "cannot stat /proc/thread-self/ns/net: %s", strerror(errno));
	*inode = (uint64_t)st.st_ino;
	return 0;
}
