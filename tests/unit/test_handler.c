/* The query handler, table-driven: query wire in -> rcode, flags, sections out.
 * Every response is also parsed back with ldns, so each case checks that
 * the wire is well formed as well as what it says. */
#include "testutil.h"

#include "dnswire.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#define ANY_COUNT -1

struct hcase {
	const char *what;
	const char *qname;
	uint16_t qtype, qclass, edns;
	enum ct_transport tr;
	int rcode;
	bool aa, tc;
	int an, ns, ar;           /* ar counts the OPT record too */
	uint16_t first_type;      /* type of the first answer, 0: none */
	const char *first_owner;  /* owner of the first answer, NULL: unchecked */
};

static const struct hcase cases[] = {
	{ "apex SOA", "example.test.", CT_TYPE_SOA, 1, 0, CT_UDP, 0, true, false, 1, 0, 0, CT_TYPE_SOA, "example.test." },
	{ "CNAME chased in zone", "www.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, true, false, 3, 0, 0, CT_TYPE_CNAME, NULL },
	{ "case kept in the question", "WwW.Example.TEST.", CT_TYPE_AAAA, 1, 1232, CT_UDP, 0, true, false, 2, 0, 1, CT_TYPE_CNAME, NULL },
	{ "CNAME chain of two", "alias.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, true, false, 4, 0, 0, CT_TYPE_CNAME, NULL },
	{ "CNAME queried itself", "www.example.test.", CT_TYPE_CNAME, 1, 0, CT_UDP, 0, true, false, 1, 0, 0, CT_TYPE_CNAME, NULL },
	{ "CNAME out of zone", "ext.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, true, false, 1, 0, 0, CT_TYPE_CNAME, NULL },
	{ "NXDOMAIN with SOA", "nope.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 3, true, false, 0, 1, 0, 0, NULL },
	{ "NXDOMAIN deeper", "a.b.nope.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 3, true, false, 0, 1, 0, 0, NULL },
	{ "NODATA with SOA", "web.example.test.", CT_TYPE_MX, 1, 0, CT_UDP, 0, true, false, 0, 1, 0, 0, NULL },
	{ "empty non-terminal is NODATA", "b.ent.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, true, false, 0, 1, 0, 0, NULL },
	{ "wildcard answer owned by qname", "x.wild.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, true, false, 1, 0, 0, CT_TYPE_A, "x.wild.example.test." },
	{ "wildcard two labels down", "deep.x.wild.example.test.", CT_TYPE_TXT, 1, 0, CT_UDP, 0, true, false, 1, 0, 0, CT_TYPE_TXT, "deep.x.wild.example.test." },
	{ "wildcard NODATA", "x.wild.example.test.", CT_TYPE_AAAA, 1, 0, CT_UDP, 0, true, false, 0, 1, 0, 0, NULL },
	{ "wildcard not used for existing", "wild.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, true, false, 0, 1, 0, 0, NULL },
	{ "referral below a cut", "deep.sub.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, false, false, 0, 1, 1, 0, NULL },
	{ "referral at the cut", "sub.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, false, false, 0, 1, 1, 0, NULL },
	{ "glue name is referred too", "ns.sub.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, false, false, 0, 1, 1, 0, NULL },
	{ "DS at the cut answered by parent", "sub.example.test.", CT_TYPE_DS, 1, 0, CT_UDP, 0, true, false, 0, 1, 0, 0, NULL },
	{ "outside every zone", "other.test.", CT_TYPE_A, 1, 0, CT_UDP, 5, false, false, 0, 0, 0, 0, NULL },
	{ "parent of the zone", "test.", CT_TYPE_A, 1, 0, CT_UDP, 5, false, false, 0, 0, 0, 0, NULL },
	{ "too big for 512: TC", "big.example.test.", CT_TYPE_TXT, 1, 0, CT_UDP, 0, true, true, 0, 0, 0, 0, NULL },
	{ "fits the EDNS buffer", "big.example.test.", CT_TYPE_TXT, 1, 4096, CT_UDP, 0, true, false, 6, 0, 1, CT_TYPE_TXT, NULL },
	{ "EDNS 512 still TC", "big.example.test.", CT_TYPE_TXT, 1, 512, CT_UDP, 0, true, true, 0, 0, 1, 0, NULL },
	{ "TCP has room", "big.example.test.", CT_TYPE_TXT, 1, 0, CT_TCP, 0, true, false, 6, 0, 0, CT_TYPE_TXT, NULL },
	{ "MX with additional A", "example.test.", CT_TYPE_MX, 1, 0, CT_UDP, 0, true, false, 1, 0, 1, CT_TYPE_MX, NULL },
	{ "NS with glue", "example.test.", CT_TYPE_NS, 1, 0, CT_UDP, 0, true, false, 2, 0, 3, CT_TYPE_NS, NULL },
	{ "ANY at the apex", "example.test.", CT_TYPE_ANY, 1, 0, CT_TCP, 0, true, false, 6, 0, 0, 0, NULL },
	{ "class CH refused", "example.test.", CT_TYPE_TXT, 3, 0, CT_UDP, 5, false, false, 0, 0, 0, 0, NULL },
	{ "AXFR refused", "example.test.", CT_TYPE_AXFR, 1, 0, CT_TCP, 5, false, false, 0, 0, 0, 0, NULL },
	{ "OPT as qtype is FORMERR", "example.test.", CT_TYPE_OPT, 1, 0, CT_UDP, 1, false, false, 0, 0, 0, 0, NULL },
	{ "MAILB not implemented", "example.test.", CT_TYPE_MAILB, 1, 0, CT_UDP, 4, false, false, 0, 0, 0, 0, NULL },
};

static int setup(void **state)
{
	static struct test_db t;
	if (test_db_open(&t, "example.zone", NULL) < 0)
		return -1;
	*state = &t;
	return 0;
}

static int setup_synth(void **state)
{
	static struct test_db t;
	if (test_db_open(&t, "example.zone", "example.test.") < 0)
		return -1;
	*state = &t;
	return 0;
}

static int teardown(void **state)
{
	test_db_close(*state);
	return 0;
}

static ldns_pkt *ask(const struct test_db *t, const uint8_t *q, size_t qlen, enum ct_transport tr,
		     struct ct_handle_info *info)
{
	static uint8_t out[CT_MSG_MAX];
	size_t len = ct_handle_query(&t->cfg, tr, q, qlen, out, sizeof out, info);
	if (len == 0)
		return NULL;
	assert_true(tr == CT_TCP || len <= 4096);
	ldns_pkt *p = NULL;
	assert_int_equal(ldns_wire2pkt(&p, out, len), LDNS_STATUS_OK);
	assert_int_equal(ct_get16(out), ct_get16(q)); /* the ID */
	/* the question comes back byte for byte, case included */
	if (ct_get16(out + 4) == 1) {
		size_t off = CT_DNS_HDRLEN;
		assert_true(ct_dns_name_read(q, qlen, &off, NULL, false) > 0);
		assert_memory_equal(out + CT_DNS_HDRLEN, q + CT_DNS_HDRLEN, off + 4 - CT_DNS_HDRLEN);
	}
	return p;
}

static void check_case(const struct test_db *t, const struct hcase *c)
{
	uint8_t q[512];
	struct ct_handle_info info;
	size_t qlen = test_make_query(q, sizeof q, c->qname, c->qtype, c->qclass, c->edns, false);
	assert_true(qlen > 0);
	ldns_pkt *p = ask(t, q, qlen, c->tr, &info);
	if (!p)
		fail_msg("%s: no reply", c->what);
	if ((int)ldns_pkt_get_rcode(p) != c->rcode)
		fail_msg("%s: rcode %d, want %d", c->what, ldns_pkt_get_rcode(p), c->rcode);
	if (ldns_pkt_aa(p) != c->aa || ldns_pkt_tc(p) != c->tc || !ldns_pkt_qr(p))
		fail_msg("%s: flags aa=%d tc=%d", c->what, ldns_pkt_aa(p), ldns_pkt_tc(p));
	if ((int)ldns_pkt_ancount(p) != c->an || (int)ldns_pkt_nscount(p) != c->ns ||
	    (int)ldns_pkt_arcount(p) + (ldns_pkt_edns(p) ? 1 : 0) != c->ar)
		fail_msg("%s: counts %u/%u/%u, want %d/%d/%d", c->what, ldns_pkt_ancount(p),
			 ldns_pkt_nscount(p), ldns_pkt_arcount(p), c->an, c->ns, c->ar);
	if (c->ns == 1 && c->rcode != 5 && ldns_pkt_aa(p)) {
		const ldns_rr *soa = ldns_rr_list_rr(ldns_pkt_authority(p), 0);
		assert_int_equal(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
		assert_int_equal(ldns_rr_ttl(soa), 60); /* min(TTL, MINIMUM) */
	}
	if (c->first_type) {
		const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
		assert_int_equal(ldns_rr_get_type(rr), c->first_type);
		if (c->first_owner) {
			char *owner = ldns_rdf2str(ldns_rr_owner(rr));
			assert_string_equal(owner, c->first_owner);
			free(owner);
		}
	}
	assert_int_equal(info.rcode, c->rcode);
	assert_int_equal(info.truncated, c->tc);
	ldns_pkt_free(p);
}

static void test_table(void **state)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_case(*state, &cases[i]);
}

/* ---- hand-made packets: what ldns would refuse to build ---- */

static size_t raw_query(uint8_t *q, uint16_t flags, uint16_t qd, uint16_t ar, const uint8_t *body, size_t blen)
{
	memset(q, 0, CT_DNS_HDRLEN);
	ct_put16(q, 0xbeef);
	ct_put16(q + 2, flags);
	ct_put16(q + 4, qd);
	ct_put16(q + 10, ar);
	memcpy(q + CT_DNS_HDRLEN, body, blen);
	return CT_DNS_HDRLEN + blen;
}

#define QNAME "\3www\7example\4test\0"
#define QNAME_LEN 18
#define Q_A QNAME "\0\1\0\1"
#define OPT_V0 "\0\0\x29\x10\0\0\0\0\0\0\0"
#define OPT_V1 "\0\0\x29\x10\0\0\1\0\0\0\0"

struct rawcase {
	const char *what;
	uint16_t flags, qd, ar;
	const char *body;
	size_t blen;
	int rcode;  /* -1: no reply at all */
	int qd_back;
	size_t cut; /* >0: send only this many bytes */
};

static const struct rawcase raws[] = {
	{ "shorter than a header", 0, 1, 0, Q_A, QNAME_LEN + 4, -1, 0, 5 },
	{ "a response is never answered", 0x8000, 1, 0, Q_A, QNAME_LEN + 4, -1, 0 },
	{ "no question", 0, 0, 0, "", 0, 1, 0 },
	{ "two questions", 0, 2, 0, Q_A Q_A, 2 * (QNAME_LEN + 4), 1, 0 },
	{ "question cut short", 0, 1, 0, QNAME "\0", QNAME_LEN + 1, 1, 0 },
	{ "pointer in the question", 0, 1, 0, "\3www\xc0\x0c\0\1\0\1", 10, 1, 0 },
	{ "label longer than 63", 0, 1, 0, "\x40" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\0\0\1\0\1", 70, 1, 0 },
	{ "missing the OPT it announces", 0, 1, 1, Q_A, QNAME_LEN + 4, 1, 1 },
	{ "two OPT records", 0, 1, 2, Q_A OPT_V0 OPT_V0, QNAME_LEN + 4 + 22, 1, 1 },
	{ "EDNS version 1 is BADVERS", 0, 1, 1, Q_A OPT_V1, QNAME_LEN + 4 + 11, 16, 1 },
	{ "OPT option overruns", 0, 1, 1, Q_A "\0\0\x29\x10\0\0\0\0\0\0\4\0\1\0\x09", QNAME_LEN + 4 + 15, 1, 1 },
	{ "NOTIFY opcode", 0x2000, 1, 0, Q_A, QNAME_LEN + 4, 4, 1 },
	{ "UPDATE opcode", 0x2800, 1, 0, Q_A, QNAME_LEN + 4, 4, 1 },
	{ "plain query with RD", 0x0100, 1, 0, Q_A, QNAME_LEN + 4, 0, 1 },
};

static void test_raw(void **state)
{
	const struct test_db *t = *state;
	for (size_t i = 0; i < sizeof raws / sizeof raws[0]; i++) {
		const struct rawcase *c = &raws[i];
		uint8_t q[512], out[CT_MSG_MAX];
		struct ct_handle_info info;
		size_t qlen = raw_query(q, c->flags, c->qd, c->ar, (const uint8_t *)c->body, c->blen);
		if (c->cut)
			qlen = c->cut;
		size_t len = ct_handle_query(&t->cfg, CT_UDP, q, qlen, out, sizeof out, &info);
		if (c->rcode < 0) {
			if (len != 0)
				fail_msg("%s: answered, should be silent", c->what);
			assert_true(info.dropped);
			continue;
		}
		if (len == 0)
			fail_msg("%s: no reply", c->what);
		ldns_pkt *p = NULL;
		if (ldns_wire2pkt(&p, out, len) != LDNS_STATUS_OK)
			fail_msg("%s: reply does not parse", c->what);
		int rcode = ldns_pkt_get_rcode(p) | (ldns_pkt_edns_extended_rcode(p) << 4);
		if (rcode != c->rcode || info.rcode != c->rcode)
			fail_msg("%s: rcode %d, want %d", c->what, rcode, c->rcode);
		assert_int_equal(ldns_pkt_qdcount(p), c->qd_back);
		assert_int_equal(ct_get16(out), 0xbeef);
		assert_int_equal(ldns_pkt_get_opcode(p), (c->flags >> 11) & 0xf);
		assert_int_equal(ldns_pkt_rd(p), (c->flags & 0x0100) != 0);
		ldns_pkt_free(p);
	}
}

static void test_do_bit_echoed(void **state)
{
	uint8_t q[512];
	struct ct_handle_info info;
	size_t qlen = test_make_query(q, sizeof q, "example.test.", CT_TYPE_SOA, 1, 1232, true);
	ldns_pkt *p = ask(*state, q, qlen, CT_UDP, &info);
	assert_non_null(p);
	assert_true(ldns_pkt_edns(p));
	assert_true(ldns_pkt_edns_do(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), 1232);
	assert_true(info.edns);
	ldns_pkt_free(p);
}

static void test_edns_size_honoured(void **state)
{
	struct test_db *t = *state;
	uint8_t q[512];
	struct ct_handle_info info;
	/* ours is the smaller: a 4096 client gets at most edns_udp_max */
	t->cfg.edns_udp_max = 600;
	size_t qlen = test_make_query(q, sizeof q, "big.example.test.", CT_TYPE_TXT, 1, 4096, false);
	ldns_pkt *p = ask(t, q, qlen, CT_UDP, &info);
	t->cfg.edns_udp_max = 1232;
	assert_non_null(p);
	assert_true(ldns_pkt_tc(p));
	assert_int_equal(ldns_pkt_edns_udp_size(p), 600);
	ldns_pkt_free(p);
}

static void test_synthesize(void **state)
{
	const struct test_db *t = *state;
	uint8_t q[512];
	struct ct_handle_info info;
	static const struct hcase synth[] = {
		{ "random label answered", "r4nd0m-1.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, true, false, 1, 0, 0, CT_TYPE_A, "r4nd0m-1.example.test." },
		{ "two random labels", "a.b.example.test.", CT_TYPE_TXT, 1, 0, CT_UDP, 0, true, false, 1, 0, 0, CT_TYPE_TXT, "a.b.example.test." },
		{ "no SOA synthesized", "x9.example.test.", CT_TYPE_SOA, 1, 0, CT_UDP, 0, true, false, 0, 1, 0, 0, NULL },
		{ "no NS synthesized", "x9.example.test.", CT_TYPE_NS, 1, 0, CT_UDP, 0, true, false, 0, 1, 0, 0, NULL },
		{ "existing names unchanged", "web.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, true, false, 2, 0, 0, CT_TYPE_A, NULL },
		{ "the wildcard still wins", "q.wild.example.test.", CT_TYPE_TXT, 1, 0, CT_UDP, 0, true, false, 1, 0, 0, CT_TYPE_TXT, NULL },
		{ "delegations still refer", "x.sub.example.test.", CT_TYPE_A, 1, 0, CT_UDP, 0, false, false, 0, 1, 1, 0, NULL },
	};
	for (size_t i = 0; i < sizeof synth / sizeof synth[0]; i++)
		check_case(t, &synth[i]);
	size_t qlen = test_make_query(q, sizeof q, "zz.example.test.", CT_TYPE_A, 1, 0, false);
	ldns_pkt *p = ask(t, q, qlen, CT_UDP, &info);
	char *addr = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0));
	assert_string_equal(addr, "198.18.0.10"); /* the apex's A */
	free(addr);
	ldns_pkt_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_do_bit_echoed),
		cmocka_unit_test(test_edns_size_honoured),
	};
	const struct CMUnitTest synth_tests[] = {
		cmocka_unit_test(test_synthesize),
	};
	int failed = cmocka_run_group_tests_name("handler", tests, setup, teardown);
	failed += cmocka_run_group_tests_name("synthesize", synth_tests, setup_synth, teardown);
	return failed;
}
