#include "signal/ws_messages.h"

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"

static int fail(char *err, size_t cap, const char *reason) {
  snprintf(err, cap, "%s", reason);
  return BRTC_ERR_PARSE;
}

/* A candidate is a string, null or "" (end of candidates), or an RTCIceCandidateInit
 * object {"candidate": ..., "sdpMid": ...} as some clients send it. */
static int parse_candidate(cJSON *root, brtc_ws_msg *out, char *err, size_t cap) {
  cJSON *c = cJSON_GetObjectItemCaseSensitive(root, "candidate");
  cJSON *holder = root;
  if (cJSON_IsObject(c)) {
    holder = c;
    c = cJSON_GetObjectItemCaseSensitive(c, "candidate");
  }
  if (c == NULL || cJSON_IsNull(c)) {
    out->candidate = "";
  } else if (cJSON_IsString(c)) {
    out->candidate = c->valuestring;
  } else {
    return fail(err, cap, "\"candidate\" must be a string, or null or \"\" to end candidates");
  }
  cJSON *mid = cJSON_GetObjectItemCaseSensitive(holder, "sdpMid");
  if (cJSON_IsString(mid)) out->sdp_mid = mid->valuestring;
  return BRTC_OK;
}

/* The optional "video":{"width":W,"height":H} of an offer: the size the page's camera
 * sends, for the answer's bitrates (pc/video_bitrate.h). */
static int parse_video_size(cJSON *root, brtc_ws_msg *out, char *err, size_t cap) {
  cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "video");
  if (!v || cJSON_IsNull(v)) return BRTC_OK;
  cJSON *w = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "width") : NULL;
  cJSON *h = cJSON_IsObject(v) ? cJSON_GetObjectItemCaseSensitive(v, "height") : NULL;
  if (!cJSON_IsNumber(w) || !cJSON_IsNumber(h) || !(w->valuedouble >= 1) ||
      !(h->valuedouble >= 1) || w->valuedouble > BRTC_WS_MAX_VIDEO_SIDE ||
      h->valuedouble > BRTC_WS_MAX_VIDEO_SIDE)
    return fail(err, cap, "offer \"video\" must be {\"width\":W,\"height\":H}, each 1 to 16384");
  out->video_width = (unsigned)w->valuedouble;
  out->video_height = (unsigned)h->valuedouble;
  return BRTC_OK;
}

int brtc_ws_msg_parse(const char *text, size_t len, brtc_ws_msg *out, char *err, size_t cap) {
  memset(out, 0, sizeof(*out));
  if (len == 0) return fail(err, cap, "empty message");
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (!root) return fail(err, cap, "bad JSON: not a valid JSON text");
  int rc = BRTC_OK;
  cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
  if (!cJSON_IsObject(root)) {
    rc = fail(err, cap, "bad message: expected a JSON object");
  } else if (!cJSON_IsString(type)) {
    rc = fail(err, cap, "bad message: missing string \"type\"");
  } else if (strcmp(type->valuestring, "offer") == 0) {
    cJSON *sdp = cJSON_GetObjectItemCaseSensitive(root, "sdp");
    if (!cJSON_IsString(sdp) || sdp->valuestring[0] == '\0')
      rc = fail(err, cap, "offer needs a non-empty string \"sdp\"");
    out->type = BRTC_WS_MSG_OFFER;
    if (rc == BRTC_OK) out->sdp = sdp->valuestring;
    if (rc == BRTC_OK) rc = parse_video_size(root, out, err, cap);
    cJSON *inspect = cJSON_GetObjectItemCaseSensitive(root, "inspect");
    if (rc == BRTC_OK && inspect && !cJSON_IsBool(inspect))
      rc = fail(err, cap, "offer \"inspect\" must be true or false");
    out->inspect = cJSON_IsTrue(inspect);
  } else if (strcmp(type->valuestring, "candidate") == 0) {
    out->type = BRTC_WS_MSG_CANDIDATE;
    rc = parse_candidate(root, out, err, cap);
  } else if (strcmp(type->valuestring, "snapshot") == 0) {
    out->type = BRTC_WS_MSG_SNAPSHOT;
  } else if (strcmp(type->valuestring, "bye") == 0) {
    out->type = BRTC_WS_MSG_BYE;
  } else {
    char name[48];
    snprintf(name, sizeof(name), "%s", type->valuestring);
    snprintf(err, cap, "unknown message type \"%s\" (expected offer, candidate, snapshot or bye)",
             name);
    rc = BRTC_ERR_PARSE;
  }
  if (rc != BRTC_OK) {
    cJSON_Delete(root);
    memset(out, 0, sizeof(*out));
    return rc;
  }
  out->json = root;
  return BRTC_OK;
}

void brtc_ws_msg_free(brtc_ws_msg *msg) {
  cJSON_Delete(msg->json);
  memset(msg, 0, sizeof(*msg));
}

/* Print and free the object; NULL if any step ran out of memory. */
static char *finish(cJSON *o, bool ok) {
  char *text = ok && o ? cJSON_PrintUnformatted(o) : NULL;
  cJSON_Delete(o);
  return text;
}

char *brtc_ws_make_answer(const char *sdp, const char *inspect_url) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "type", "answer") &&
            cJSON_AddStringToObject(o, "sdp", sdp) &&
            (!inspect_url || cJSON_AddStringToObject(o, "inspect", inspect_url));
  return finish(o, ok);
}

char *brtc_ws_make_candidate(const char *candidate, const char *mid) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "type", "candidate") &&
            cJSON_AddStringToObject(o, "candidate", candidate ? candidate : "") &&
            cJSON_AddStringToObject(o, "sdpMid", mid && *mid ? mid : "0");
  return finish(o, ok);
}

char *brtc_ws_make_step(const char *session, const char *step, const char *detail,
                        uint64_t t_ms) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "type", "step") &&
            cJSON_AddStringToObject(o, "session", session) &&
            cJSON_AddStringToObject(o, "step", step) &&
            cJSON_AddStringToObject(o, "detail", detail ? detail : "") &&
            cJSON_AddNumberToObject(o, "t_ms", (double)t_ms);
  return finish(o, ok);
}

char *brtc_ws_make_keyframe(const char *session, const char *file, unsigned width,
                            unsigned height, const char *mid) {
  char url[64];
  snprintf(url, sizeof(url), "/output/%s", file);
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "type", "keyframe") &&
            cJSON_AddStringToObject(o, "session", session) &&
            cJSON_AddStringToObject(o, "file", file) && cJSON_AddStringToObject(o, "url", url) &&
            cJSON_AddNumberToObject(o, "width", width) &&
            cJSON_AddNumberToObject(o, "height", height);
  if (ok && mid && *mid) ok = cJSON_AddStringToObject(o, "mid", mid) != NULL;
  return finish(o, ok);
}

char *brtc_ws_make_error(const char *message) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "type", "error") &&
            cJSON_AddStringToObject(o, "message", message);
  return finish(o, ok);
}

char *brtc_ws_make_refusal(const char *message, const char *what, uint64_t retry_after_ms) {
  cJSON *o = cJSON_CreateObject();
  bool ok = o && cJSON_AddStringToObject(o, "type", "error") &&
            cJSON_AddStringToObject(o, "message", message) &&
            cJSON_AddStringToObject(o, "refused", what) &&
            cJSON_AddNumberToObject(o, "retry_after_ms", (double)retry_after_ms);
  return finish(o, ok);
}
