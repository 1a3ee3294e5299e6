/* Our DTLS record layer (dtls_record.c) on arbitrary datagrams. Input: [flags] then bytes.
 * Flags choose the AEAD (bits 0-1) and whether the bytes are first sealed as records of
 * ours (bit 2, so the fuzzer also reaches the paths after a tag that verifies: the replay
 * window, the types); then the bytes are split into records as a datagram would be and
 * each is unprotected, twice (the second must be refused as a replay). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "boltrtc/error.h"
#include "dtls/dtls_record.h"

static void make_keys(brtc_dtls_aead aead, bool writer, brtc_dtls_epoch_keys *k) {
  memset(k, 0, sizeof *k);
  k->aead = aead;
  k->epoch = 1;
  for (size_t i = 0; i < 32; i++) {
    k->write_key[i] = (uint8_t)(writer ? i : 0x80 + i);
    k->read_key[i] = (uint8_t)(writer ? 0x80 + i : i);
  }
  for (size_t i = 0; i < 12; i++) {
    k->write_iv[i] = (uint8_t)(writer ? 0x40 + i : 0xc0 + i);
    k->read_iv[i] = (uint8_t)(writer ? 0xc0 + i : 0x40 + i);
  }
}

static void open_all(brtc_dtls_record *r, const uint8_t *data, size_t len) {
  size_t off = 0, n;
  while ((n = brtc_dtls_record_next(data + off, len - off)) > 0) {
    uint8_t type, plain[2048];
    size_t pn;
    int rc = brtc_dtls_record_unprotect(r, data + off, n, &type, plain, sizeof plain, &pn);
    int again = brtc_dtls_record_unprotect(r, data + off, n, &type, plain, sizeof plain, &pn);
    if (rc == BRTC_OK && again != BRTC_ERR_REPLAY) __builtin_trap();
    off += n;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static const brtc_dtls_aead aeads[4] = {BRTC_DTLS_AEAD_AES_128_GCM, BRTC_DTLS_AEAD_AES_256_GCM,
                                          BRTC_DTLS_AEAD_CHACHA20_POLY1305,
                                          BRTC_DTLS_AEAD_AES_128_GCM};
  uint8_t flags = data[0];
  brtc_dtls_epoch_keys kw, kr;
  make_keys(aeads[flags & 3], true, &kw);
  make_keys(aeads[flags & 3], false, &kr);
  brtc_dtls_record *writer = brtc_dtls_record_new(&kw, 0);
  brtc_dtls_record *reader = brtc_dtls_record_new(&kr, 0);
  if (writer && reader) {
    data++, size--;
    if (flags & 4) {
      /* Chunks of the input sealed as records, of the type the chunk's first byte says. */
      static uint8_t dg[65536];
      size_t used = 0, pos = 0;
      while (pos < size) {
        size_t chunk = 1 + data[pos] % 64;
        if (chunk > size - pos) chunk = size - pos;
        size_t n = 0;
        if (brtc_dtls_record_protect(writer, (uint8_t)(20 + data[pos] % 4), data + pos, chunk,
                                     dg + used, sizeof dg - used, &n) != BRTC_OK)
          break;
        used += n;
        pos += chunk;
      }
      open_all(reader, dg, used);
    } else {
      open_all(reader, data, size);
    }
  }
  brtc_dtls_record_free(writer);
  brtc_dtls_record_free(reader);
  return 0;
}
