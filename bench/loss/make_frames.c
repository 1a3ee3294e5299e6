/* The VP8 frames the Pion publishers of bench/loss/run_pion.sh send: an IVF file of one
 * 640x480 keyframe and 29 delta frames, encoded with libvpx (a moving square on a textured
 * gradient), so the server's saved keyframes are real pictures.
 *
 * Usage: make_frames OUT.ivf */
#include <stdio.h>
#include <stdlib.h>

#include "codec/vpx_encode.h"

#define W 640
#define H 480
#define FRAMES 30

static void le16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v) {
  le16(p, v & 0xffff);
  le16(p + 2, v >> 16);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_frames OUT.ivf\n");
    return 2;
  }
  test_vp8_encoder e;
  test_vp8_encoder_opts opts = {.kbps = 1500, .realtime = true};
  if (test_vp8_encoder_init_opts(&e, W, H, &opts) != 0) return 1;
  FILE *f = fopen(argv[1], "wb");
  if (!f) return 1;
  uint8_t header[32] = {'D', 'K', 'I', 'F'}; /* IVF: signature, version 0, header size */
  le16(header + 6, 32);
  header[8] = 'V', header[9] = 'P', header[10] = '8', header[11] = '0';
  le16(header + 12, W);
  le16(header + 14, H);
  le32(header + 16, 30); /* frame rate 30/1 */
  le32(header + 20, 1);
  le32(header + 24, FRAMES);
  int rc = fwrite(header, 1, sizeof(header), f) == sizeof(header) ? 0 : 1;
  static uint8_t frame[1 << 20];
  for (unsigned i = 0; i < FRAMES && rc == 0; i++) {
    test_draw_picture(&e.img, W, H, 40 + i * 8, 60 + i * 4);
    size_t len = test_vp8_encode(&e, i == 0, frame, sizeof(frame));
    uint8_t fh[12] = {0};
    le32(fh, (uint32_t)len);
    le32(fh + 4, i);
    if (len == 0 || fwrite(fh, 1, 12, f) != 12 || fwrite(frame, 1, len, f) != len) rc = 1;
  }
  test_vp8_encoder_free(&e);
  if (fclose(f) != 0) rc = 1;
  return rc;
}
