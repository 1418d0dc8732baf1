/* Helpers shared by the unit tests. */
#ifndef CT_TESTUTIL_H
#define CT_TESTUTIL_H

#include "db.h"
#include "handler.h"
#include "zone.h"

#include <ldns/ldns.h>
#include <stdbool.h>
#include <stdint.h>

#ifndef CT_TEST_DATA_DIR
#error "CT_TEST_DATA_DIR must name tests/data"
#endif

/* The example zone (tests/data/example.zone) loaded into a database. */
struct test_db {
	struct ct_zone zone;
	struct ct_db *db;
	struct ct_handler_cfg cfg;
};

int test_db_open(struct test_db *t, const char *zone_file, const char *synthesize);
void test_db_close(struct test_db *t);

/* Builds a query packet with ldns: name, type, class, EDNS buffer size
 * (0: no OPT), DO bit. Returns the wire length written into buf. */
size_t test_make_query(uint8_t *buf, size_t cap, const char *name, uint16_t type, uint16_t klass,
		       uint16_t edns_size, bool dnssec_ok);

#endif
