#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int test_db_open(struct test_db *t, const char *zone_file, const char *synthesize)
{
	char path[1024], err[512];
	const char *synth[1] = { synthesize };
	struct ct_strlist sl = { synth, synthesize ? 1 : 0 };
	memset(t, 0, sizeof *t);
	snprintf(path, sizeof path, "%s/%s", CT_TEST_DATA_DIR, zone_file);
	if (ct_zone_load(path, &t->zone, err, sizeof err) < 0 ||
	    ct_db_build(&t->db, &t->zone, 1, &sl, err, sizeof err) < 0) {
		fprintf(stderr, "test_db_open: %s\n", err);
		return -1;
	}
	t->cfg = (struct ct_handler_cfg){ .db = t->db, .edns_udp_max = 1232 };
	return 0;
}

void test_db_close(struct test_db *t)
{
	ct_db_free(t->db);
	ct_zone_free(&t->zone);
}

size_t test_make_query(uint8_t *buf, size_t cap, const char *name, uint16_t type, uint16_t klass,
		       uint16_t edns_size, bool dnssec_ok)
{
	ldns_rdf *dname = ldns_dname_new_frm_str(name);
	ldns_pkt *p = ldns_pkt_query_new(dname, (ldns_rr_type)type, (ldns_rr_class)klass, 0);
	uint8_t *wire = NULL;
	size_t len = 0;
	ldns_pkt_set_id(p, 0x1234);
	if (edns_size) {
		ldns_pkt_set_edns_udp_size(p, edns_size);
		ldns_pkt_set_edns_do(p, dnssec_ok);
	}
	ldns_pkt2wire(&wire, p, &len);
	ldns_pkt_free(p);
	if (len > cap)
		len = 0;
	if (len)
		memcpy(buf, wire, len);
	free(wire);
	return len;
}
