/* The VP8 frames the Pion publishers of bench/loss/run_pion.sh send: an IVF file of one
 * 640x480 keyframe and 29 delta frames, encoded with libvpx (a moving square on a textured
 * gradient), so the server's saved keyframes are real pictures.
 *
 * With KBPS and FRAMES (bench/server/run_pion_cpu.sh), FRAMES frames at a target of KBPS,
 * the square filled with fresh noise in every frame: the gradient alone costs a delta frame
 * a few hundred bytes, so without something new to code the encoder cannot reach a camera's
 * bitrate however high the target.
 *
 * Usage: make_frames OUT.ivf [KBPS FRAMES] */
#include <stdio.h>
#include <stdlib.h>

#include "codec/vpx_encode.h"

#define W 640
#define H 480
#define FRAMES 30
#define MAX_FRAMES 600

static void le16(uint8_t *p, unsigned v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v) {
  le16(p, v & 0xffff);
  le16(p + 2, v >> 16);
}

/* Fresh pseudo-random luma in the square (a fixed LCG: the same file every time). */
static void add_noise(vpx_image_t *img, unsigned sx, unsigned sy, uint32_t *state) {
  for (unsigned y = sy; y < sy + H / 4 && y < H; y++)
    for (unsigned x = sx; x < sx + W / 4 && x < W; x++) {
      *state = *state * 1664525u + 1013904223u;
      img->planes[0][y * (unsigned)img->stride[0] + x] = (uint8_t)(16 + (*state >> 24) % 220);
    }
}

int main(int argc, char **argv) {
  if (argc != 2 && argc != 4) {
    fprintf(stderr, "usage: make_frames OUT.ivf [KBPS FRAMES]\n");
    return 2;
  }
  unsigned kbps = 1500, frames = FRAMES;
  bool noise = argc == 4;
  if (noise) {
    kbps = (unsigned)strtoul(argv[2], NULL, 10);
    frames = (unsigned)strtoul(argv[3], NULL, 10);
    if (kbps == 0 || frames < 2 || frames > MAX_FRAMES) {
      fprintf(stderr, "make_frames: KBPS > 0 and 2 <= FRAMES <= %d\n", MAX_FRAMES);
      return 2;
    }
  }
  uint32_t state = 1;
  test_vp8_encoder e;
  /* With noise, the only keyframe is the first: a stream that loops the file then has none
   * but those asked for, like a browser's. */
  test_vp8_encoder_opts opts = {.kbps = kbps, .realtime = true, .only_forced_keyframes = noise};
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
  le32(header + 24, frames);
  int rc = fwrite(header, 1, sizeof(header), f) == sizeof(header) ? 0 : 1;
  static uint8_t frame[1 << 20];
  for (unsigned i = 0; i < frames && rc == 0; i++) {
    unsigned sx = 40 + (i * 8) % (W / 2), sy = 60 + (i * 4) % (H / 2);
    test_draw_picture(&e.img, W, H, sx, sy);
    if (noise) add_noise(&e.img, sx, sy, &state);
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
