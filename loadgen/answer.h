/* Checking an answer against the query it claims to answer. Answers are
 * counted, never trusted: anything that is not a response to exactly the
 * question we asked is mismatched or malformed. */
#ifndef CT_ANSWER_H
#define CT_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ct_answer_verdict {
	CT_ANS_OK,
	CT_ANS_MALFORMED,   /* not a DNS response at all */
	CT_ANS_MISMATCH,    /* a response, but to another question */
};

struct ct_answer_info {
	uint16_t id;
	int rcode;          /* header rcode, 0..15 */
	bool tc;
};

/* Reads the ID only (to find the outstanding query); -1 if too short. */
int ct_answer_id(const uint8_t *pkt, size_t len, uint16_t *id);

/* Checks pkt against the query we sent: the wire template (its ID field
 * is ignored) and the ID it went out with. A response must have QR set,
 * opcode QUERY and one question equal to ours ignoring case. */
enum ct_answer_verdict ct_answer_check(const uint8_t *pkt, size_t len, const uint8_t *query, size_t qlen,
				       uint16_t id, struct ct_answer_info *info);

#endif
