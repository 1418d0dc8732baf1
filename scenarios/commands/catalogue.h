/* The scenario catalogue: the *.scn files installed beside ctstorm
 * (run_data_dir()), named on the command line without path or suffix. */
#ifndef SC_CATALOGUE_H
#define SC_CATALOGUE_H

#include <dirent.h>

/* A path as given, or a catalogue name: "seed-000" -> DIR/seed-000.scn.
 * Allocated. */
char *sc_catalogue_path(const char *arg);

/* Why arg names no scenario, when it names none (NULL: it is a path, or
 * the file exists): "no scenario 'seed-00' in the catalogue (DIR); did
 * you mean 'seed-000'? `ctstorm list` shows them all". Allocated. */
char *sc_catalogue_missing(const char *arg);

/* The catalogue's *.scn entries, sorted (scandir(3): free each and the
 * array); -1 with errno if the folder cannot be read. */
int sc_catalogue_scan(struct dirent ***names);

#endif
