/*
 * common/log.h -- logging to syslog or stderr.
 * Thread-safe (syslog(3) and one fprintf per line). Messages must never
 * contain key material; callers log names and paths, not contents.
 */
#ifndef SG_LOG_H
#define SG_LOG_H

#include <stdbool.h>

enum log_level { LOG_LVL_ERR, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Start logging as ident; to_stderr sends lines to stderr, otherwise to
 * syslog with the given facility (LOG_MAIL etc). */
void log_init(const char *ident, bool to_stderr, int facility);
/* Lines below level are dropped. Default LOG_LVL_INFO. */
void log_set_level(enum log_level level);
/* Parse "error", "warning", "info", "debug"; -1 if unknown. */
int log_level_parse(const char *s);

void log_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
