/* The other way through an option table: a typed configuration back into
 * the command line of its binary. The runner types a scenario's keys once
 * with the binary's own table, fills in what it sets itself (files,
 * addresses), and builds the binary's argv from that struct, so the value
 * a binary receives is the value `ctstorm check` accepted. */
#ifndef CT_OPTARGV_H
#define CT_OPTARGV_H

#include "argv.h"
#include "opt.h"

#include <stddef.h>

/* The option's value in cfg as the text its parser reads back to the same
 * value ("" when it is not set; a flag: "yes" or "no"); lists are not
 * values (see ct_opt_argv). -1 with err when it cannot be written. */
int ct_opt_format(const struct ct_opt *o, const void *cfg, char *buf, size_t len, char *err, size_t errlen);

/* Host p->i's share of the whole: its weight over their sum. */
double ct_opt_share(const struct ct_opt_part *p);

/* Host p->i's part of cfg, in place, by each option's split. */
int ct_opt_split(const struct ct_opt *table, void *cfg, const struct ct_opt_part *p, char *err, size_t errlen);

/* Appends to out every option whose value in cfg (a struct of size bytes
 * of this table's) differs from its default, as --name=value (a flag as
 * --name, a list as one --name=item an item), in table order. */
int ct_opt_argv(const struct ct_opt *table, const void *cfg, size_t size, struct ct_argv *out, char *err,
		size_t errlen);

#endif
