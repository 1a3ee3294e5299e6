/* Control messages of the remote camera: parsing with cJSON (never by hand), the ack, and
 * which command is the newest. camera_control.h says the format and why. */
#include "camera_control.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>

static int fail(char *err, size_t cap, const char *why) {
  snprintf(err, cap, "%s", why);
  return -1;
}

/* A member that must be a finite number from lo to hi. */
static bool number_in(const cJSON *obj, const char *name, double lo, double hi, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) return false;
  if (v->valuedouble < lo || v->valuedouble > hi) return false;
  *out = v->valuedouble;
  return true;
}

int camera_command_parse(const char *text, size_t len, camera_command *out, char *err,
                         size_t err_cap) {
  if (len > CAMERA_CONTROL_MAX) return fail(err, err_cap, "command too long");
  cJSON *root = cJSON_ParseWithLength(text, len);
  if (!root) return fail(err, err_cap, "not JSON");
  int rc = -1;
  double seq, t, steer, throttle;
  if (!cJSON_IsObject(root))
    fail(err, err_cap, "not a JSON object");
  else if (!number_in(root, "seq", 0, CAMERA_SEQ_MAX, &seq) || seq != floor(seq))
    fail(err, err_cap, "seq must be a whole number from 0 to 2^53");
  else if (!number_in(root, "t", -HUGE_VAL, HUGE_VAL, &t))
    fail(err, err_cap, "t must be a number (the page's clock, ms)");
  else if (!number_in(root, "steer", -1, 1, &steer))
    fail(err, err_cap, "steer must be a number from -1 to 1");
  else if (!number_in(root, "throttle", -1, 1, &throttle))
    fail(err, err_cap, "throttle must be a number from -1 to 1");
  else {
    *out = (camera_command){.seq = (uint64_t)seq, .t_ms = t, .steer = steer,
                            .throttle = throttle};
    rc = 0;
  }
  cJSON_Delete(root);
  return rc;
}

int camera_ack_format(const camera_command *cmd, double rx_unix_ms, bool stale, char *buf,
                      size_t cap) {
  /* %.17g keeps t exactly as the page sent it (a double), so the page can match it. */
  int n = snprintf(buf, cap, "{\"type\":\"ack\",\"seq\":%llu,\"t\":%.17g,\"rx\":%.3f,\"stale\":%s}",
                   (unsigned long long)cmd->seq, cmd->t_ms, rx_unix_ms, stale ? "true" : "false");
  return n < 0 || (size_t)n >= cap ? -1 : n;
}

bool camera_command_is_newest(camera_command_order *o, const camera_command *cmd) {
  if (o->any && cmd->seq <= o->newest) return false;
  o->any = true;
  o->newest = cmd->seq;
  return true;
}
