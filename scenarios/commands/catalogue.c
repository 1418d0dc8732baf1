#include "catalogue.h"

#include "opt.h"
#include "run.h"

#include <stdbool.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *sc_catalogue_path(const char *arg)
{
	char *p;
	if (access(arg, F_OK) == 0 || strchr(arg, '/'))
		p = strdup(arg);
	else if (asprintf(&p, "%s/%s%s", run_data_dir(), arg, strstr(arg, ".scn") ? "" : ".scn") < 0)
		p = NULL;
	if (!p)
		abort();
	return p;
}

char *sc_catalogue_missing(const char *arg)
{
	char *path = sc_catalogue_path(arg);
	bool exists = access(path, F_OK) == 0;
	free(path);
	if (exists || strchr(arg, '/'))
		return NULL; /* a path: the parser says what is wrong with it */
	struct dirent **names;
	int n = sc_catalogue_scan(&names);
	const char *cands[256];
	size_t nc = 0;
	for (int i = 0; i < n; i++) {
		names[i]->d_name[strlen(names[i]->d_name) - 4] = '\0';
		if (nc < 256)
			cands[nc++] = names[i]->d_name;
	}
	char want[256];
	snprintf(want, sizeof want, "%.*s", (int)strcspn(arg, "."), arg); /* seed-00.scn: seed-00 */
	const char *hint = ct_did_you_mean(want, cands, nc);
	char *msg;
	if (asprintf(&msg, "'%s' is neither a file nor a scenario of the catalogue (%s)%s%s%s; `ctstorm list` shows them all",
		     arg, run_data_dir(), hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "") < 0)
		abort();
	for (int i = 0; i < n; i++)
		free(names[i]);
	if (n >= 0)
		free(names);
	return msg;
}

static int is_scenario(const struct dirent *d)
{
	size_t len = strlen(d->d_name);
	return len > 4 && strcmp(d->d_name + len - 4, ".scn") == 0;
}

int sc_catalogue_scan(struct dirent ***names)
{
	return scandir(run_data_dir(), names, is_scenario, alphasort);
}
