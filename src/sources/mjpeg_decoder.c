/* libturbojpeg decodes to the JPEG's own planes and subsampling; yuv_convert makes I420. */
#include "sources/mjpeg_decoder.h"

#include <stdlib.h>
#include <turbojpeg.h>

#include "boltrtc/error.h"

struct brtc_mjpeg_decoder {
  tjhandle tj;
  uint8_t *planes; /* scratch for the decoded planes, grown as needed */
  size_t cap;
};

brtc_mjpeg_decoder *brtc_mjpeg_decoder_new(void) {
  brtc_mjpeg_decoder *d = calloc(1, sizeof(*d));
  if (!d) return NULL;
  if (!(d->tj = tjInitDecompress())) {
    free(d);
    return NULL;
  }
  return d;
}

void brtc_mjpeg_decoder_free(brtc_mjpeg_decoder *d) {
  if (!d) return;
  tjDestroy(d->tj);
  free(d->planes);
  free(d);
}

int brtc_mjpeg_decode(brtc_mjpeg_decoder *d, const uint8_t *jpeg, size_t len,
                      const brtc_i420 *dst) {
  int w, h, subsamp, colorspace;
  if (len == 0 || len > 0x7fffffff ||
      tjDecompressHeader3(d->tj, jpeg, (unsigned long)len, &w, &h, &subsamp, &colorspace) < 0)
    return BRTC_ERR_PARSE;
  if ((unsigned)w != dst->width || (unsigned)h != dst->height) return BRTC_ERR_PARSE;
  if (colorspace != TJCS_YCbCr && colorspace != TJCS_GRAY) return BRTC_ERR_UNSUPPORTED;
  int comps = subsamp == TJSAMP_GRAY ? 1 : 3;
  size_t sizes[3], total = 0;
  int strides[3];
  for (int i = 0; i < comps; i++) {
    strides[i] = tjPlaneWidth(i, w, subsamp);
    int ph = tjPlaneHeight(i, h, subsamp);
    if (strides[i] <= 0 || ph <= 0) return BRTC_ERR_PARSE;
    sizes[i] = (size_t)strides[i] * (size_t)ph;
    total += sizes[i];
  }
  if (total > d->cap) {
    uint8_t *p = realloc(d->planes, total);
    if (!p) return BRTC_ERR_NOMEM;
    d->planes = p;
    d->cap = total;
  }
  unsigned char *planes[3] = {d->planes, NULL, NULL};
  for (int i = 1; i < comps; i++) planes[i] = planes[i - 1] + sizes[i - 1];
  if (tjDecompressToYUVPlanes(d->tj, jpeg, (unsigned long)len, planes, w, strides, h, 0) < 0 &&
      tjGetErrorCode(d->tj) != TJERR_WARNING)
    return BRTC_ERR_PARSE;
  const uint8_t *src[3] = {planes[0], planes[1], planes[2]};
  /* tjPlaneWidth/Height are the chroma planes' real sizes (the picture's, subsampled). */
  unsigned cw = comps == 3 ? (unsigned)strides[1] : 0;
  unsigned ch = comps == 3 ? (unsigned)tjPlaneHeight(1, h, subsamp) : 0;
  brtc_full_range_to_i420(src, strides, cw, ch, dst);
  return 0;
}
