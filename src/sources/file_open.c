/* Which container a file is: its first bytes first, its extension when they do not say. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "boltrtc/error.h"
#include "sources/file_formats.h"
#include "sources/h264_annexb.h"
#include "sources/source_impl.h"

typedef enum { FMT_UNKNOWN, FMT_IVF, FMT_OGG, FMT_H264 } file_format;

static bool ends_with(const char *name, const char *ext) {
  size_t n = strlen(name), e = strlen(ext);
  return n > e && strcasecmp(name + n - e, ext) == 0;
}

static file_format sniff(const char *name, const uint8_t *buf, size_t len) {
  if (len >= 4 && memcmp(buf, "DKIF", 4) == 0) return FMT_IVF;
  if (len >= 4 && memcmp(buf, "OggS", 4) == 0) return FMT_OGG;
  if (brtc_annexb_starts_with_start_code(buf, len)) return FMT_H264;
  if (ends_with(name, ".ivf")) return FMT_IVF;
  if (ends_with(name, ".opus") || ends_with(name, ".ogg")) return FMT_OGG;
  if (ends_with(name, ".h264") || ends_with(name, ".264")) return FMT_H264;
  return FMT_UNKNOWN;
}

int brtc_file_source_open_buffer(const char *name, uint8_t *buf, size_t len,
                                 const brtc_source_options *o, brtc_source **out, char *err,
                                 size_t err_cap) {
  *out = NULL;
  brtc_frame_index ix;
  brtc_file_info info;
  char why[160] = "";
  char what[200];
  int rc;
  switch (sniff(name, buf, len)) {
    case FMT_IVF:
      rc = brtc_ivf_index(buf, len, &ix, &info, why, sizeof(why));
      if (rc < 0) break;
      snprintf(what, sizeof(what), "IVF VP8 %ux%u, %zu frames, %zu keyframes, %.2f s", ix.width,
               ix.height, ix.count, ix.keyframes, ix.duration / 90000.0);
      rc = brtc_file_source_new(&ix, BRTC_SOURCE_VP8, 90000, 0, o, what, out);
      break;
    case FMT_H264:
      rc = brtc_h264_index(buf, len, o->fps_num, o->fps_den, &ix, &info, why,
                           sizeof(why));
      if (rc < 0) break;
      snprintf(what, sizeof(what), "H.264 Annex-B %ux%u, %zu access units, %zu IDR, %u/%u fps (%s)%s",
               ix.width, ix.height, ix.count, ix.keyframes, info.fps_num, info.fps_den,
               info.fps_from, info.has_b_slices ? ", B slices in decode order" : "");
      rc = brtc_file_source_new(&ix, BRTC_SOURCE_H264, 90000, 0, o, what, out);
      break;
    case FMT_OGG:
      rc = brtc_ogg_opus_index(buf, len, &ix, &info, why, sizeof(why));
      if (rc < 0) break;
      snprintf(what, sizeof(what), "Ogg Opus, %u channel%s, %zu packets, %.2f s, pre-skip %u",
               info.channels, info.channels == 1 ? "" : "s", ix.count, ix.duration / 48000.0,
               info.pre_skip);
      rc = brtc_file_source_new(&ix, BRTC_SOURCE_OPUS, 48000, info.channels, o, what, out);
      break;
    default:
      free(buf);
      snprintf(err, err_cap, "%s: not IVF, Ogg Opus or H.264 Annex-B", name);
      return BRTC_ERR_UNSUPPORTED;
  }
  if (rc < 0) {
    snprintf(err, err_cap, "%s: %s", name, why[0] ? why : brtc_strerror(rc));
    return rc;
  }
  return 0;
}
