/* H.264 keyframe -> I420 with openh264, one decoder reused from keyframe to keyframe.
 *
 * The SPS is read first with our own parser, so that what openh264 does not decode (4:2:2,
 * 4:4:4, high bit depth, fields) and pictures above the size limit are refused before
 * openh264 allocates anything. Each unit is decoded on its own: DecodeFrameNoDelay, then
 * FlushFrame for a stream whose SPS allows reordering (x264's High profile), which openh264
 * otherwise holds back. After any error the decoder is made anew for the next unit, so a
 * bad unit cannot leave state behind. */
#include "media/h264_decode.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <wels/codec_api.h>

#include "boltrtc/error.h"
#include "codec/h264.h"

struct brtc_h264_decoder {
  ISVCDecoder *dec; /* NULL after an error, until the next unit */
};

static ISVCDecoder *open_decoder(void) {
  ISVCDecoder *dec = NULL;
  if (WelsCreateDecoder(&dec) != 0 || !dec) return NULL;
  int quiet = WELS_LOG_QUIET; /* no stderr from a library: errors come back as codes */
  (*dec)->SetOption(dec, DECODER_OPTION_TRACE_LEVEL, &quiet);
  SDecodingParam p;
  memset(&p, 0, sizeof p);
  p.sVideoProperty.eVideoBsType = VIDEO_BITSTREAM_AVC;
  p.eEcActiveIdc = ERROR_CON_DISABLE; /* a broken picture fails, never a concealed one */
  if ((*dec)->Initialize(dec, &p) != 0) {
    WelsDestroyDecoder(dec);
    return NULL;
  }
  return dec;
}

static void close_decoder(ISVCDecoder *dec) {
  if (!dec) return;
  (*dec)->Uninitialize(dec);
  WelsDestroyDecoder(dec);
}

brtc_h264_decoder *brtc_h264_decoder_new(void) {
  brtc_h264_decoder *d = calloc(1, sizeof(*d));
  if (!d) return NULL;
  d->dec = open_decoder();
  if (!d->dec) {
    free(d);
    return NULL;
  }
  return d;
}

void brtc_h264_decoder_free(brtc_h264_decoder *d) {
  if (!d) return;
  close_decoder(d->dec);
  free(d);
}

/* What the unit holds, from its NAL headers and its first SPS. */
static int inspect(const uint8_t *annexb, size_t len, unsigned max_side, brtc_h264_sps *sps) {
  bool idr = false, have_sps = false, have_pps = false;
  size_t pos = 0;
  brtc_h264_nal nal;
  while (brtc_h264_annexb_next(annexb, len, &pos, &nal)) {
    uint8_t t = brtc_h264_nal_type(nal.data[0]);
    if (t == BRTC_H264_NAL_IDR) idr = true;
    if (t == BRTC_H264_NAL_PPS) have_pps = true;
    if (t == BRTC_H264_NAL_SPS && !have_sps) {
      int rc = brtc_h264_sps_parse(nal.data, nal.len, sps);
      if (rc == BRTC_ERR_TOO_BIG) return rc;
      if (rc != BRTC_OK) return BRTC_ERR_PARSE;
      have_sps = true;
    }
  }
  if (!idr) return BRTC_ERR_UNSUPPORTED;
  if (!have_sps || !have_pps) return BRTC_ERR_PARSE;
  if (sps->width > max_side || sps->height > max_side) return BRTC_ERR_TOO_BIG;
  if (sps->chroma_format_idc != 1 || sps->bit_depth_luma != 8 || sps->bit_depth_chroma != 8 ||
      !sps->frame_mbs_only)
    return BRTC_ERR_UNSUPPORTED;
  return BRTC_OK;
}

int brtc_h264_decoder_decode(brtc_h264_decoder *d, const uint8_t *annexb, size_t len,
                             unsigned max_side, const uint8_t *planes[3], int strides[3],
                             unsigned *width, unsigned *height, int *full_range) {
  if (!d || !annexb || !planes || !strides || !width || !height || !full_range)
    return BRTC_ERR_INVALID;
  if (len > INT32_MAX) return BRTC_ERR_TOO_BIG;
  brtc_h264_sps sps;
  int rc = inspect(annexb, len, max_side, &sps);
  if (rc != BRTC_OK) return rc;
  if (!d->dec) d->dec = open_decoder();
  if (!d->dec) return BRTC_ERR_NOMEM;
  unsigned char *dst[3] = {NULL, NULL, NULL};
  SBufferInfo info;
  memset(&info, 0, sizeof info);
  DECODING_STATE st = (*d->dec)->DecodeFrameNoDelay(d->dec, annexb, (int)len, dst, &info);
  if (st == dsErrorFree && info.iBufferStatus != 1) {
    memset(&info, 0, sizeof info);
    st = (*d->dec)->FlushFrame(d->dec, dst, &info);
  }
  const SSysMEMBuffer *b = &info.UsrData.sSystemBuffer;
  if (st != dsErrorFree || info.iBufferStatus != 1 || !dst[0] || !dst[1] || !dst[2] ||
      b->iFormat != videoFormatI420 || b->iWidth <= 0 || b->iHeight <= 0 ||
      (unsigned)b->iWidth != sps.width || (unsigned)b->iHeight != sps.height) {
    close_decoder(d->dec); /* start clean next time */
    d->dec = NULL;
    return BRTC_ERR_PARSE;
  }
  for (int i = 0; i < 3; i++) {
    planes[i] = dst[i];
    strides[i] = b->iStride[i ? 1 : 0];
  }
  *width = (unsigned)b->iWidth;
  *height = (unsigned)b->iHeight;
  *full_range = sps.full_range;
  return BRTC_OK;
}
