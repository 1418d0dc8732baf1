/* Logging for the binaries' main programs (never from library code).
 * Messages go to stderr prefixed with the program name. */
#ifndef CT_LOG_H
#define CT_LOG_H

void ct_log_init(const char *prog);
const char *ct_log_prog(void);

void ct_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ct_log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ct_log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
