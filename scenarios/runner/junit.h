/* JUnit XML of a results folder, as CI systems (GitLab, Jenkins, GitHub
 * Actions) show test results: a testsuite per variant, a testcase per
 * expectation with what was measured, and one for the variant having run
 * to its end. Read from the folder's manifest and verdicts, so a stored
 * run gives the same file as the run that wrote it. */
#ifndef SC_JUNIT_H
#define SC_JUNIT_H

#include <stddef.h>

/* Writes path atomically. */
int junit_write(const char *results_dir, const char *path, char *err, size_t errlen);

#endif
