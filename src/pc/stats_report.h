/* The container behind brtc_stats_report (include/boltrtc/stats.h): entries with a type, an
 * id and named members, filled by pc_stats.c and read through the public accessors. Member
 * names and types are string literals (kept, not copied); ids and string values are copied.
 * An allocation that fails marks the report, which the filler then gives up as a whole. */
#ifndef BRTC_PC_STATS_REPORT_H
#define BRTC_PC_STATS_REPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "boltrtc/stats.h"

brtc_stats_report *brtc_stats_report_new(uint64_t now_us);
/* A new entry (its id printf-style), with the W3C "timestamp" member first; later members go
 * to it. */
void brtc_stats_begin(brtc_stats_report *r, const char *type, const char *id_fmt, ...)
    __attribute__((format(printf, 3, 4)));
void brtc_stats_u64(brtc_stats_report *r, const char *name, uint64_t v);
void brtc_stats_i64(brtc_stats_report *r, const char *name, int64_t v);
void brtc_stats_double(brtc_stats_report *r, const char *name, double v);
void brtc_stats_bool(brtc_stats_report *r, const char *name, bool v);
void brtc_stats_string(brtc_stats_report *r, const char *name, const char *v);
/* An allocation failed since the report was made. */
bool brtc_stats_report_failed(const brtc_stats_report *r);

#endif
