/* ctstorm's shell completion (the hidden `ctstorm --complete LINE` that
 * the bash completion script calls): subcommands, options and their
 * words from the option table, the catalogue's names, the variants of the
 * scenario on the line, and --set's SECTION.KEY= with each key's words. */
#ifndef SC_COMPLETE_H
#define SC_COMPLETE_H

#include "opt.h"

#include <stdbool.h>
#include <stdio.h>

struct sc_command_word {
	const char *name;
	bool scenario;  /* takes a scenario (file or catalogue name) */
	const struct ct_opt *options; /* its own options */
};

void sc_complete(FILE *out, const struct ct_opt *options, const struct sc_command_word *cmds, size_t ncmds,
		 const char *line);

#endif
