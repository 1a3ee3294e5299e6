/* Fuzz the mDNS response reader (compression pointers, truncation, counts that lie) and the
 * query writer with the names it reads back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "net/mdns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  brtc_mdns_record recs[8];
  size_t n = 0;
  int rc = brtc_mdns_parse_response(data, size, recs, 8, &n);
  if (n > 8 || (rc != BRTC_OK && rc != BRTC_ERR_PARSE)) abort();
  for (size_t i = 0; i < n; i++) {
    if (strlen(recs[i].name) > BRTC_MDNS_NAME_MAX) abort();
    uint8_t q[BRTC_MDNS_NAME_MAX + 32];
    (void)brtc_mdns_write_query(recs[i].name, BRTC_MDNS_TYPE_A, true, q, sizeof(q));
    if (!brtc_mdns_name_equal(recs[i].name, recs[i].name)) abort();
  }
  return 0;
}
