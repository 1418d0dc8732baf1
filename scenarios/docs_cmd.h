/* `ctstorm keys` and `ctstorm metrics`: the scenario keys and the metrics,
 * printed from the very tables the checker and the verdicts use. */
#ifndef SC_DOCS_CMD_H
#define SC_DOCS_CMD_H

#include <stdbool.h>

int cmd_keys(bool json);
int cmd_metrics(bool json);

#endif
