/* Network namespaces: entering one named the ways users name them. */
#ifndef CT_NETNS_H
#define CT_NETNS_H

#include <stddef.h>
#include <stdint.h>

/* Opens a namespace given as a name under /run/netns, a path, or a PID
 * (its /proc/PID/ns/net). Returns an fd, or -1 with err filled. */
int ct_netns_open(const char *spec, char *err, size_t errlen);

/* Moves the calling thread into the namespace (setns); threads created
 * afterwards, and sockets opened afterwards, belong to it. */
int ct_netns_enter(int fd, const char *spec, char *err, size_t errlen);

/* The inode number of the calling thread's network namespace: the number
 * the kernel prints as "netns <inode>". */
int ct_netns_inode(uint64_t *inode, char *err, size_t errlen);

#endif
