#include "catalogue.h"

#include "run.h"

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

static int is_scenario(const struct dirent *d)
{
	size_t len = strlen(d->d_name);
	return len > 4 && strcmp(d->d_name + len - 4, ".scn") == 0;
}

int sc_catalogue_scan(struct dirent ***names)
{
	return scandir(run_data_dir(), names, is_scenario, alphasort);
}
