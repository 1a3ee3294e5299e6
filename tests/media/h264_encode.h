/* Test helper: encode an I420 picture to H.264 with openh264's encoder, to get real IDR
 * access units (Annex-B, SPS and PPS in front) of known content. */
#ifndef BRTC_TEST_H264_ENCODE_H
#define BRTC_TEST_H264_ENCODE_H

#include <stdint.h>
#include <string.h>
#include <wels/codec_api.h>

/* Encode the I420 picture (w and h even) as one IDR with QP at most max_qp. Returns the
 * access unit's length in out, 0 on failure. */
static inline size_t test_h264_encode_idr(uint8_t *const planes[3], const int strides[3], int w,
                                          int h, int max_qp, uint8_t *out, size_t cap) {
  ISVCEncoder *enc = NULL;
  if (WelsCreateSVCEncoder(&enc) != 0 || !enc) return 0;
  int quiet = WELS_LOG_QUIET;
  (*enc)->SetOption(enc, ENCODER_OPTION_TRACE_LEVEL, &quiet);
  SEncParamExt p;
  (*enc)->GetDefaultParams(enc, &p);
  p.iUsageType = CAMERA_VIDEO_REAL_TIME;
  p.iPicWidth = w;
  p.iPicHeight = h;
  p.iTargetBitrate = 50000000;
  p.iRCMode = RC_QUALITY_MODE;
  p.fMaxFrameRate = 30;
  p.iMinQp = 4;
  p.iMaxQp = max_qp;
  p.iSpatialLayerNum = 1;
  p.sSpatialLayers[0].iVideoWidth = w;
  p.sSpatialLayers[0].iVideoHeight = h;
  p.sSpatialLayers[0].fFrameRate = 30;
  p.sSpatialLayers[0].iSpatialBitrate = 50000000;
  p.sSpatialLayers[0].iMaxSpatialBitrate = 60000000;
  size_t len = 0;
  if ((*enc)->InitializeExt(enc, &p) == 0) {
    SSourcePicture pic;
    memset(&pic, 0, sizeof pic);
    pic.iColorFormat = videoFormatI420;
    pic.iPicWidth = w;
    pic.iPicHeight = h;
    for (int i = 0; i < 3; i++) {
      pic.iStride[i] = strides[i];
      pic.pData[i] = planes[i];
    }
    SFrameBSInfo info;
    memset(&info, 0, sizeof info);
    (*enc)->ForceIntraFrame(enc, true);
    if ((*enc)->EncodeFrame(enc, &pic, &info) == cmResultSuccess && info.eFrameType == videoFrameTypeIDR) {
      for (int l = 0; l < info.iLayerNum; l++) {
        const SLayerBSInfo *layer = &info.sLayerInfo[l];
        size_t n = 0;
        for (int i = 0; i < layer->iNalCount; i++) n += (size_t)layer->pNalLengthInByte[i];
        if (len + n > cap) {
          len = 0;
          break;
        }
        memcpy(out + len, layer->pBsBuf, n);
        len += n;
      }
    }
    (*enc)->Uninitialize(enc);
  }
  WelsDestroySVCEncoder(enc);
  return len;
}

#endif
