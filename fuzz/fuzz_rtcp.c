/* RTCP compound parse; NACK and REMB FCIs and XR RRTR/DLRR blocks decoded and written back. */
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "rtp/rtcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void count_only(const brtc_rtcp_packet *p, void *user) {
  (void)p;
  (*(size_t *)user)++;
}

/* XR blocks: RRTR and DLRR written back read the same. */
static void visit_xr(const brtc_rtcp_packet *p) {
  uint64_t ntp = 0;
  uint8_t out[64];
  size_t len = 0;
  if (brtc_rtcp_xr_rrtr(p, &ntp) == BRTC_OK) {
    uint64_t again = 0;
    brtc_rtcp_packet q;
    memset(&q, 0, sizeof(q));
    if (brtc_rtcp_write_xr_rrtr(p->sender_ssrc, ntp, out, sizeof out, &len) != BRTC_OK)
      __builtin_trap();
    q.type = BRTC_RTCP_XR;
    q.fci = out + 8;
    q.fci_len = len - 8;
    if (brtc_rtcp_xr_rrtr(&q, &again) != BRTC_OK || again != ntp) __builtin_trap();
  }
  uint32_t lrr = 0, dlrr = 0;
  for (uint32_t ssrc = 0; ssrc < 3; ssrc++) {
    int rc = brtc_rtcp_xr_dlrr(p, ssrc, &lrr, &dlrr);
    if (rc != BRTC_OK && rc != BRTC_ERR_NOT_FOUND && rc != BRTC_ERR_PARSE) __builtin_trap();
  }
}

static void visit(const brtc_rtcp_packet *p, void *user) {
  size_t *count = user;
  (*count)++;
  if (p->n_blocks > 31 || p->len < 4 || p->data == NULL) __builtin_trap();
  uint32_t sum = 0;
  for (size_t i = 0; i < p->n_blocks; i++) sum += p->blocks[i].ssrc + p->blocks[i].jitter;
  (void)sum;
  if (p->type == BRTC_RTCP_RTPFB && p->count_or_fmt == 1) {
    uint16_t seqs[512];
    size_t n = brtc_rtcp_nack_seqs(p->fci, p->fci_len, seqs, 512);
    if (n > 512) __builtin_trap();
    if (n) {
      uint8_t out[4096];
      size_t len = 0;
      if (brtc_rtcp_write_nack(p->sender_ssrc, p->media_ssrc, seqs, n, out, sizeof out, &len) ==
          BRTC_OK) {
        size_t inner = 0;
        if (brtc_rtcp_parse(out, len, count_only, &inner) != BRTC_OK || inner != 1) __builtin_trap();
      }
    }
  }
  if (p->type == BRTC_RTCP_XR) visit_xr(p);
  if (p->type == BRTC_RTCP_PSFB && p->count_or_fmt == 15) {
    uint64_t bps = 0, again = 0;
    uint32_t ssrcs[255], ssrcs2[255];
    size_t n = 0, n2 = 0;
    if (brtc_rtcp_parse_remb(p->fci, p->fci_len, &bps, ssrcs, 255, &n) != BRTC_OK || n == 0) return;
    if (n > 255) __builtin_trap();
    uint8_t out[1100];
    size_t len = 0;
    if (brtc_rtcp_write_remb(p->sender_ssrc, bps, ssrcs, n, out, sizeof out, &len) != BRTC_OK)
      __builtin_trap();
    /* Exact unless the parse saturated; never more than was read. */
    if (brtc_rtcp_parse_remb(out + 12, len - 12, &again, ssrcs2, 255, &n2) != BRTC_OK ||
        n2 != n || again > bps || (bps != UINT64_MAX && again != bps) ||
        memcmp(ssrcs, ssrcs2, n * sizeof ssrcs[0]) != 0)
      __builtin_trap();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t count = 0;
  (void)brtc_rtcp_parse(data, size, visit, &count);
  return 0;
}
