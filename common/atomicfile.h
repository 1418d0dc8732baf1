/* Whole files: results are written to a temporary name and renamed into
 * place, so a reader (or an interrupted run) never sees half a file; and
 * read back whole. */
#ifndef CT_ATOMICFILE_H
#define CT_ATOMICFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Writes data to path atomically (same directory temp file + rename). */
int ct_write_atomic(const char *path, const void *data, size_t len, char *err, size_t errlen);

/* Serialises json (indented, keys in insertion order) and writes it atomically. */
int ct_json_write_atomic(const char *path, const json_t *json, char *err, size_t errlen);

/* The whole file at path (any bytes; NUL-terminated after *len, which may
 * be NULL), malloc'd; NULL with err naming the file. */
char *ct_read_file(const char *path, size_t *len, char *err, size_t errlen);

/* Whether the directory that will hold path is writable by this process. */
int ct_dir_writable(const char *path, char *err, size_t errlen);

/* Empties a folder of plain files (no subfolders) and removes it: 0, or -1
 * (errno) when the folder remains. By descriptor: only a real folder (a
 * link to one is left alone) owned by the user we run as, its entries
 * unlinked in it, never followed. */
int ct_remove_flat_dir(const char *dir);

/* The folders in parent named PREFIX + PID (+ '.' and anything, where
 * suffix_ok) whose process is gone: emptied and removed (ct_remove_flat_dir),
 * each reported to removed (may be NULL). What a SIGKILLed process of ours
 * left, removed by the next one. */
void ct_remove_dead_dirs(const char *parent, const char *prefix, bool suffix_ok,
			 void (*removed)(long pid, void *arg), void *arg);

#endif
