/* The statistics report of a peer connection, as W3C webrtc-stats (RTCStatsReport) has it:
 * a list of entries, each with a type ("transport", "candidate-pair", "local-candidate",
 * "remote-candidate", "inbound-rtp", "outbound-rtp", "remote-inbound-rtp", "codec",
 * "data-channel", "peer-connection"), an id unique in the report, and members named as the
 * W3C dictionaries name them ("packetsReceived", "roundTripTime", ...). Times in members are
 * seconds (doubles) as in the W3C; "timestamp" is milliseconds of the now_us given.
 *
 *     brtc_stats_report *r;
 *     brtc_pc_get_stats_report(pc, now, &r);
 *     for (size_t i = 0; i < brtc_stats_count(r); i++) {
 *       uint64_t packets;
 *       if (strcmp(brtc_stats_type(r, i), "inbound-rtp") == 0 &&
 *           brtc_stats_get_u64(r, i, "packetsReceived", &packets) == BRTC_OK) ...
 *     }
 *     puts(brtc_stats_json(r)); // [{"id":"...","type":"transport",...},...]
 *     brtc_stats_free(r);
 *
 * A report is a snapshot, owned by the caller, independent of the pc (it may outlive it).
 * Opaque: new types and members come without changing the ABI. brtc_pc_get_stats
 * (peer_connection.h) stays, for the counters that have no W3C name. */
#ifndef BOLTRTC_STATS_H
#define BOLTRTC_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boltrtc/export.h"
#include "boltrtc/peer_connection.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct brtc_stats_report brtc_stats_report;

/* A new report of pc at now_us (the time of its "timestamp" members). BRTC_OK and *out;
 * BRTC_ERR_INVALID, BRTC_ERR_NOMEM (and *out NULL). */
BRTC_EXPORT int brtc_pc_get_stats_report(const brtc_pc *pc, uint64_t now_us,
                                         brtc_stats_report **out);
BRTC_EXPORT void brtc_stats_free(brtc_stats_report *r);

BRTC_EXPORT size_t brtc_stats_count(const brtc_stats_report *r);
/* The entry's type and id; NULL past the count. */
BRTC_EXPORT const char *brtc_stats_type(const brtc_stats_report *r, size_t i);
BRTC_EXPORT const char *brtc_stats_id(const brtc_stats_report *r, size_t i);
/* The index of the entry with this id (as other entries name it: "transportId",
 * "localCandidateId", "codecId", ...), or of the first entry of this type after `from`
 * (pass SIZE_MAX to start); SIZE_MAX when there is none. */
BRTC_EXPORT size_t brtc_stats_find_id(const brtc_stats_report *r, const char *id);
BRTC_EXPORT size_t brtc_stats_find_type(const brtc_stats_report *r, const char *type,
                                        size_t from);

/* Members other than id and type, in the order the entry has them. */
BRTC_EXPORT size_t brtc_stats_member_count(const brtc_stats_report *r, size_t i);
BRTC_EXPORT const char *brtc_stats_member_name(const brtc_stats_report *r, size_t i, size_t k);

/* A member by name. BRTC_OK and *out; BRTC_ERR_NOT_FOUND when the entry has no such member
 * (or i is past the count); BRTC_ERR_INVALID when it is of another kind: get_u64 takes
 * unsigned integers (and signed ones that are not negative), get_i64 any integer, get_double
 * any number, get_bool booleans. get_string returns the text (owned by the report), NULL
 * when absent or not a string. */
BRTC_EXPORT int brtc_stats_get_u64(const brtc_stats_report *r, size_t i, const char *name,
                                   uint64_t *out);
BRTC_EXPORT int brtc_stats_get_i64(const brtc_stats_report *r, size_t i, const char *name,
                                   int64_t *out);
BRTC_EXPORT int brtc_stats_get_double(const brtc_stats_report *r, size_t i, const char *name,
                                      double *out);
BRTC_EXPORT int brtc_stats_get_bool(const brtc_stats_report *r, size_t i, const char *name,
                                    bool *out);
BRTC_EXPORT const char *brtc_stats_get_string(const brtc_stats_report *r, size_t i,
                                              const char *name);

/* The whole report as JSON (RFC 8259), an array of objects, one per entry, each with "id",
 * "type" and its members: what JSON.stringify([...report.values()]) gives in a browser.
 * Made on the first call and owned by the report; NULL when out of memory. */
BRTC_EXPORT const char *brtc_stats_json(brtc_stats_report *r);

#ifdef __cplusplus
}
#endif
#endif
