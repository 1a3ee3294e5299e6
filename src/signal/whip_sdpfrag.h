/* application/trickle-ice-sdpfrag (RFC 8840 9.2), the body of a WHIP PATCH (RFC 9725 4.3):
 * session-level attributes, then media descriptions (an m= line, a=mid, and the ICE lines of
 * that section). We read what trickle and ICE restart need: the ICE credentials (at session
 * or media level: with BUNDLE they are one transport's, so two different ones are an error),
 * each section's mid, its a=candidate lines and a=end-of-candidates. Other attributes
 * (a=ice-options, a=group) are read past. Pure: text in, a struct out, nothing allocated.
 *
 * brtc_sdpfrag_from_answer writes the server's own fragment (RFC 9725 4.3.2, the answer to a
 * restart) from an SDP answer: its ICE lines only. */
#ifndef BRTC_SIGNAL_WHIP_SDPFRAG_H
#define BRTC_SIGNAL_WHIP_SDPFRAG_H

#include <stdbool.h>
#include <stddef.h>

#define BRTC_SDPFRAG_MAX_SIZE 16384     /* a PATCH body: Chrome's full set is under 2 KB */
#define BRTC_SDPFRAG_MAX_MEDIA 16
#define BRTC_SDPFRAG_MAX_CANDIDATES 64
#define BRTC_SDPFRAG_MID_LEN 64
#define BRTC_SDPFRAG_CRED_MAX 256       /* RFC 8839 5.4: ufrag and pwd at most 256 chars */
#define BRTC_SDPFRAG_LINE_MAX 512       /* one attribute's value */

typedef struct brtc_sdpfrag_media {
  char mid[BRTC_SDPFRAG_MID_LEN];
  bool end_of_candidates;
} brtc_sdpfrag_media;

typedef struct brtc_sdpfrag_candidate {
  size_t media; /* index in media[] */
  char value[BRTC_SDPFRAG_LINE_MAX]; /* "candidate:...", as the a= line had it */
} brtc_sdpfrag_candidate;

typedef struct brtc_sdpfrag {
  char ufrag[BRTC_SDPFRAG_CRED_MAX + 1], pwd[BRTC_SDPFRAG_CRED_MAX + 1]; /* "" if absent */
  bool end_of_candidates; /* at session level (RFC 8840 8.2), or in every section */
  brtc_sdpfrag_media media[BRTC_SDPFRAG_MAX_MEDIA];
  size_t n_media;
  brtc_sdpfrag_candidate candidates[BRTC_SDPFRAG_MAX_CANDIDATES];
  size_t n_candidates;
} brtc_sdpfrag;

/* BRTC_OK, or BRTC_ERR_PARSE (malformed: err says which line and why, one line),
 * BRTC_ERR_TOO_BIG (over BRTC_SDPFRAG_MAX_SIZE) or BRTC_ERR_LIMIT (too many sections or
 * candidates). text need not be NUL-terminated; a NUL inside is malformed. */
int brtc_sdpfrag_parse(const char *text, size_t len, brtc_sdpfrag *out, char *err,
                       size_t err_cap);

/* The ICE part of an SDP answer as a fragment: a=ice-lite and a=group at session level, then
 * per section its m= line, a=mid, a=ice-ufrag, a=ice-pwd, a=candidate lines and
 * a=end-of-candidates. Returns the length written (NUL-terminated), or 0 if it does not fit. */
size_t brtc_sdpfrag_from_answer(const char *answer, char *out, size_t cap);

#endif
