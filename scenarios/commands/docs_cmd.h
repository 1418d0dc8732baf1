/* `ctstorm keys` and `ctstorm metrics`: the scenario keys and the metrics,
 * printed from the very tables the checker and the verdicts use: as text,
 * as JSON, or as roff for ctstorm.scn(5). */
#ifndef SC_DOCS_CMD_H
#define SC_DOCS_CMD_H

enum doc_format { DOC_TEXT, DOC_JSON, DOC_MAN };

int cmd_keys(enum doc_format fmt);
int cmd_metrics(enum doc_format fmt);

#endif
