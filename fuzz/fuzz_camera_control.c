/* Fuzz the remote camera's control parser (apps/camera_control.c): every data-channel message
 * a viewer sends `boltrtc camera`. A command that parses must hold what a motor may take
 * (steer and throttle in -1..1, t finite, seq below 2^53), and its ack must fit and be
 * JSON. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "camera_control.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  camera_command c;
  char err[96];
  if (camera_command_parse((const char *)data, size, &c, err, sizeof(err)) != 0) return 0;
  if (!(c.steer >= -1 && c.steer <= 1) || !(c.throttle >= -1 && c.throttle <= 1) ||
      !isfinite(c.t_ms) || (double)c.seq > CAMERA_SEQ_MAX)
    abort();
  char ack[CAMERA_ACK_MAX];
  if (camera_ack_format(&c, 1765087200123.456, false, ack, sizeof(ack)) <= 0) abort();
  cJSON *j = cJSON_Parse(ack);
  if (!j) abort();
  cJSON_Delete(j);
  return 0;
}
