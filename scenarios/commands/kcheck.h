/* What only the kernel can judge, judged before anything changes: every
 * variant's rulesets and per-namespace sysctls applied in scratch network
 * namespaces that have no name and vanish with their file descriptor (or
 * with us). The host's own namespaces, rules and sysctls are not touched. */
#ifndef SC_KCHECK_H
#define SC_KCHECK_H

#include "scenario.h"

/* Appends an error per refusal (file:line, key, the tool's message) and
 * returns -1; 0 when the kernel took everything. Needs root: without it
 * returns 1 and says nothing. */
int sc_kernel_check(const struct sc_file *f, struct sc_errors *e);

#endif
