/* The files of a results folder (DESIGN.md, "Results folder"), one name
 * each: the binaries that write them, the runner that fetches and merges
 * them, the report, the probe and the live line that read them. */
#ifndef RF_NAMES_H
#define RF_NAMES_H

#define RF_MANIFEST "manifest.json"       /* the run: scenario, kernel, hosts, status */
#define RF_COMMANDS_LOG "commands.log"    /* every command the runner ran */
#define RF_LOADGEN_JSONL "loadgen.jsonl"  /* lg_jsonl.h: an interval a line, the summary last */
#define RF_LOADGEN_JSON "loadgen.json"    /* lg_summary.h: the totals and the full histograms */
#define RF_LOADGEN_LOG "loadgen.log"
#define RF_CANARY_JSONL "canary.jsonl"    /* a canary query a line */
#define RF_SAMPLER_CSV "sampler.csv"      /* sampler_csv.h: a sample a row */
#define RF_SAMPLER_JSON "sampler.json"    /* the sampler's summary */
#define RF_SAMPLER_LOG "sampler.log"
#define RF_KMSG_LOG "kmsg.log"            /* the kernel's lines that matter */
#define RF_RESPONDER_JSON "responder.json" /* the responder's counters */
#define RF_RESPONDER_LOG "responder.log"
#define RF_RULESET "ruleset.txt"          /* the rules and sysctls as applied */
#define RF_VERDICT "verdict.json"         /* each expectation, measured, pass or fail */

#endif
