/* iptables rules on a real host, in chains ctstorm owns. A scenario's
 * iptables-restore text (outside input) is rewritten so that it adds to
 * nothing of the host's: each built-in chain X it appends to becomes
 * CTSTORM-X, reached by one jump inserted first in X; each chain of its
 * own, Y, becomes CTSTORM-Y. Only rules are added (-A, -I); a policy of a
 * built-in chain other than ACCEPT, and any command that would change the
 * host's chains (-D, -F, -P, -X, ...), are refused naming the line. The
 * result is loaded with iptables-restore --noflush; undoing it deletes the
 * jumps and the CTSTORM-* chains, nothing else. */
#ifndef SC_IPTOWNED_H
#define SC_IPTOWNED_H

#include <stddef.h>

#define IPT_OWNED_PREFIX "CTSTORM-"
#define IPT_MAX_TABLES 5 /* filter, nat, mangle, raw, security */

/* What a text owns, per table that it adds to: the built-in chains given a
 * jump ("-" for none) and every chain created, each a comma-separated list
 * ("PREROUTING,OUTPUT" and "CTSTORM-PREROUTING,CTSTORM-OUTPUT,CTSTORM-DNS"). */
struct ipt_owned {
	size_t n;
	struct {
		char table[16];
		char builtins[128];
		char chains[512];
	} t[IPT_MAX_TABLES];
};

/* The rewritten text (malloc'd) and what it owns; NULL with err ("line N:
 * ...") when the text is not iptables-restore input ctstorm can own. */
char *ipt_owned_rewrite(const char *text, struct ipt_owned *o, char *err, size_t errlen);

#endif
