/* GET /api/inspect?session=ID: one inspected session's packets as JSON, each decoded field by
 * field (include/boltrtc/inspect.h), for the page at /inspect (web/src/inspect.ts).
 *
 * {"session":"s3","state":"live"|"ended","per_kind":8,"srtp_profile":"AEAD_AES_128_GCM",
 *  "ufrags":{"server":"...","browser":"..."},"extmap":[{"id":4,"name":"mid"}],
 *  "kinds":[{"kind":"stun","direction":"in","ssrc":null,"title":"...","chapter":"...",
 *            "rfc":"...","seen":40,
 *            "packets":[{"t_ms":12.5,"order":3,"len":96,"hex":"0001...","truncated":false,
 *                        "summary":"STUN Binding request, ...",
 *                        "fields":[{"offset":0,"len":20,"depth":0,"name":"STUN header",
 *                                   "value":"...","meaning":"...","ref":"RFC 8489 5"}],
 *                        "wire":{...the same, for a plaintext packet's SRTP form}}]}]} */
#ifndef BRTC_SIGNAL_INSPECT_JSON_H
#define BRTC_SIGNAL_INSPECT_JSON_H

#include <stdint.h>

#include "signal/inspect_store.h"

/* Owned by the caller (free()); NULL if out of memory. */
char *brtc_inspect_json(const brtc_inspect_entry *e);
/* Server-wide figures, no session's data: {"inspected":N,"live":N,"max_sessions":N,
 * "per_kind":N,"bytes":N,"opened":N,"refused":N}. */
char *brtc_inspect_stats_json(const brtc_inspect_store *st);

#endif
