#include "complete.h"

#include "catalogue.h"
#include "config.h"
#include "optdoc.h"
#include "plan.h"
#include "responder_cli.h"
#include "scenario.h"

#include <stdlib.h>
#include <string.h>

/* The scenario named on the line (the first positional word after the
 * subcommand), or NULL. */
static const char *line_scenario(const struct ct_opt *options, const struct ct_words *ws)
{
	for (size_t i = 2; i + 1 < ws->n; i++) {
		if (ws->w[i][0] != '-')
			return ws->w[i];
		if (!strchr(ws->w[i], '=') && ct_opt_takes_value(options, ws->w[i]))
			i++; /* its value */
	}
	return NULL;
}

static void complete_catalogue(FILE *out, const char *cur)
{
	struct dirent **names;
	int n = sc_catalogue_scan(&names);
	for (int i = 0; i < n; i++) {
		names[i]->d_name[strlen(names[i]->d_name) - 4] = '\0';
		ct_complete_word(out, cur, names[i]->d_name);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

static void complete_variants(FILE *out, const char *scenario, const char *cur)
{
	struct sc_file f = { 0 };
	struct sc_errors e = { 0 };
	char *path = sc_catalogue_path(scenario);
	if (sc_parse_file(path, &f, &e) == 0)
		for (size_t v = 0; v < f.nvar; v++)
			ct_complete_word(out, cur, sc_variant_name(&f, v));
	sc_errors_free(&e);
	sc_file_free(&f);
	free(path);
}

/* SECTION.KEY= for every key a scenario may set; after the '=', the key's
 * words. */
static void complete_set(FILE *out, const char *cur)
{
	const char *eq = strchr(cur, '=');
	for (const struct sc_section_kind *k = sc_sections; k->name; k++) {
		const struct ct_opt *tables[] = { k->table, strcmp(k->name, "server") == 0 ? responder_cli_options : NULL };
		const char *const *reserved[] = { k->reserved, sc_responder_reserved };
		for (size_t t = 0; t < 2 && tables[t]; t++) {
			for (const struct ct_opt *o = tables[t]; o->name; o++) {
				char cand[256];
				if (sc_word_in(reserved[t], o->name))
					continue;
				int len = snprintf(cand, sizeof cand, "%s.%s=", k->name, o->name);
				if (!eq) {
					ct_complete_word(out, cur, cand);
				} else if (strncmp(cur, cand, (size_t)len) == 0) {
					static const char *const yes_no[] = { "yes", "no", NULL };
					const char *const *words = o->type == CT_OPT_ENUM ? o->words
								   : o->type == CT_OPT_FLAG ? yes_no
											    : NULL;
					for (size_t w = 0; words && words[w]; w++) {
						snprintf(cand + len, sizeof cand - (size_t)len, "%s", words[w]);
						ct_complete_word(out, cur, cand);
					}
				}
			}
		}
	}
}

/* --flow tcp:RATE:<TAB>: the TCP states. */
static bool flow_states(FILE *out, const char *prev, const char *cur)
{
	const char *v = strncmp(cur, "--flow=", 7) == 0 ? cur + 7
			: strcmp(prev, "--flow") == 0 || strcmp(prev, "-f") == 0 ? cur
										  : NULL;
	if (!v || strncmp(v, "tcp:", 4) != 0)
		return false;
	size_t rate = strspn(v + 4, "0123456789.e");
	if (rate == 0 || v[4 + rate] != ':')
		return false;
	char cand[256];
	for (size_t i = 0; plan_tcp_state_words[i]; i++) {
		snprintf(cand, sizeof cand, "%.*s%s", (int)(v - cur) + 5 + (int)rate, cur, plan_tcp_state_words[i]);
		ct_complete_word(out, cur, cand);
	}
	return true;
}

void sc_complete(FILE *out, const struct ct_opt *options, const struct sc_command_word *cmds, size_t ncmds,
		 const char *line)
{
	struct ct_words ws;
	ct_words_split(line, &ws);
	const char *cur = ct_words_cur(&ws), *prev = ct_words_prev(&ws);
	const struct sc_command_word *cmd = NULL;
	for (size_t i = 0; ws.n > 2 && i < ncmds; i++)
		if (strcmp(ws.w[1], cmds[i].name) == 0)
			cmd = &cmds[i];
	if (ws.n == 2 || (ws.n == 3 && strcmp(ws.w[1], "help") == 0)) {
		for (size_t i = 0; i < ncmds; i++)
			ct_complete_word(out, cur, cmds[i].name);
		if (ws.n == 2) {
			ct_complete_word(out, cur, "help");
			ct_complete_word(out, cur, "--help");
			ct_complete_word(out, cur, "--version");
		}
	} else if (flow_states(out, prev, cur)) {
		/* tcp:RATE: and the state its entries end in */
	} else if (strcmp(prev, "--set") == 0 || strcmp(prev, "-s") == 0) {
		complete_set(out, cur);
	} else if (strcmp(prev, "--variant") == 0 || strcmp(prev, "-v") == 0) {
		const char *scenario = line_scenario(options, &ws);
		if (scenario)
			complete_variants(out, scenario, cur);
	} else if (!ct_opt_complete(out, cmd ? cmd->options : options, &ws) && cmd && cmd->scenario &&
		   !line_scenario(options, &ws) &&
		   !strchr(cur, '/')) {
		complete_catalogue(out, cur); /* a path: left to the shell */
	}
	ct_words_free(&ws);
}
