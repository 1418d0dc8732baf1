/* Any bytes as a query, over UDP and TCP, against a zone with every kind of
 * name (CNAME chains, wildcards, a delegation, big answers). The reply must
 * fit the buffer, echo the ID and, when there is one, parse as DNS. */
#include "db.h"
#include "dnswire.h"
#include "handler.h"
#include "zone.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char zone_text[] =
	"$ORIGIN example.test.\n$TTL 300\n"
	"@ SOA ns1 host 1 3600 600 86400 60\n@ NS ns1\n@ MX 10 mail\n@ A 198.18.0.10\n"
	"ns1 A 198.18.0.2\nns1 AAAA 2001:2::2\nmail A 198.18.0.25\nwww CNAME web\n"
	"web A 198.18.0.80\nalias CNAME www\nloop1 CNAME loop2\nloop2 CNAME loop1\n"
	"*.wild A 198.18.0.99\n*.wild TXT \"w\"\nsub NS ns.sub\nns.sub A 198.18.0.53\n"
	"big TXT \"0123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"1123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"2123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"3123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"4123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"5123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"6123456789012345678901234567890123456789012345678901234567890123456789\"\n"
	"big TXT \"7123456789012345678901234567890123456789012345678901234567890123456789\"\n";

static struct ct_handler_cfg cfg;

static void init(void)
{
	static struct ct_zone zone;
	static struct ct_db *db;
	char err[512];
	const char *synth[] = { "example.test." };
	struct ct_strlist sl = { synth, 1 };
	FILE *fp = fmemopen((void *)zone_text, sizeof zone_text - 1, "r");
	if (!fp || ct_zone_load_fp(fp, "fuzz.zone", &zone, err, sizeof err) < 0 ||
	    ct_db_build(&db, &zone, 1, &sl, err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_handler: %s\n", err);
		abort();
	}
	fclose(fp);
	cfg = (struct ct_handler_cfg){ .db = db, .edns_udp_max = 1232 };
}

static void check(enum ct_transport tr, const uint8_t *data, size_t size)
{
	static uint8_t out[CT_MSG_MAX];
	struct ct_handle_info info;
	size_t cap = tr == CT_UDP ? 1232 : sizeof out;
	size_t len = ct_handle_query(&cfg, tr, data, size, out, cap, &info);
	if (len == 0)
		return;
	if (len > cap || len < CT_DNS_HDRLEN || ct_get16(out) != ct_get16(data) || !(out[2] & 0x80))
		abort();
	if (tr == CT_UDP && len > 512 && !info.edns)
		abort(); /* only EDNS clients get more than 512 bytes */
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, out, len) != LDNS_STATUS_OK)
		abort(); /* we wrote something that is not DNS */
	ldns_pkt_free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!cfg.db)
		init();
	if (size > CT_MSG_MAX)
		return 0;
	check(CT_UDP, data, size);
	check(CT_TCP, data, size);
	return 0;
}
