/* pcap: https://www.tcpdump.org/manpages/pcap-savefile.5.html; LINKTYPE_RAW (101) records
 * begin with the IP header, version 4 or 6 told by its first nibble. */
#include "signal/pcap_file.h"

#include <string.h>

#include "boltrtc/error.h"
#include "common/bytes.h"

#define PCAP_MAGIC_NS 0xa1b23c4du /* nanosecond-resolution timestamps */
#define LINKTYPE_RAW 101
#define SNAPLEN 65535u
#define IPV4_HEADER 20
#define IPV6_HEADER 40
#define UDP_HEADER 8
#define IPPROTO_UDP_NUMBER 17

/* pcap's own headers are in the writer's byte order (the magic tells readers which). */
static void host32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void host16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

int brtc_pcap_open(brtc_pcap_file *p, const char *path) {
  memset(p, 0, sizeof(*p));
  p->f = fopen(path, "wb");
  if (!p->f) return BRTC_ERR_IO;
  uint8_t h[24];
  host32(h, PCAP_MAGIC_NS);
  host16(h + 4, 2); /* version 2.4 */
  host16(h + 6, 4);
  host32(h + 8, 0); /* thiszone */
  host32(h + 12, 0); /* sigfigs */
  host32(h + 16, SNAPLEN);
  host32(h + 20, LINKTYPE_RAW);
  if (fwrite(h, 1, sizeof(h), p->f) != sizeof(h)) {
    fclose(p->f);
    p->f = NULL;
    return BRTC_ERR_IO;
  }
  p->bytes = sizeof(h);
  return BRTC_OK;
}

static size_t ip_header_len(const brtc_addr *a) {
  return brtc_addr_family(a) == AF_INET6 ? IPV6_HEADER : IPV4_HEADER;
}

static size_t fitting(const brtc_addr *src, size_t len) {
  size_t room = SNAPLEN - ip_header_len(src) - UDP_HEADER;
  return len < room ? len : room;
}

size_t brtc_pcap_record_size(const brtc_addr *src, size_t len) {
  return 16 + ip_header_len(src) + UDP_HEADER + fitting(src, len);
}

/* RFC 791 3.1: the one's complement sum of the header's 16-bit words. */
static uint16_t ipv4_checksum(const uint8_t *h) {
  uint32_t sum = 0;
  for (size_t i = 0; i < IPV4_HEADER; i += 2) sum += (uint32_t)(h[i] << 8 | h[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

int brtc_pcap_write_udp(brtc_pcap_file *p, uint64_t unix_ns, const brtc_addr *src,
                        const brtc_addr *dst, const uint8_t *payload, size_t len) {
  if (!p->f || brtc_addr_family(src) != brtc_addr_family(dst)) return BRTC_ERR_INVALID;
  len = fitting(src, len);
  uint8_t h[16 + IPV6_HEADER + UDP_HEADER];
  size_t ip_len = ip_header_len(src);
  size_t total = ip_len + UDP_HEADER + len;
  host32(h, (uint32_t)(unix_ns / 1000000000u));
  host32(h + 4, (uint32_t)(unix_ns % 1000000000u));
  host32(h + 8, (uint32_t)total);
  host32(h + 12, (uint32_t)total);
  uint8_t *ip = h + 16;
  memset(ip, 0, ip_len);
  if (ip_len == IPV4_HEADER) {
    ip[0] = 0x45; /* version 4, 5 words */
    brtc_wr16(ip + 2, (uint16_t)total);
    ip[6] = 0x40; /* don't fragment */
    ip[8] = 64;   /* TTL */
    ip[9] = IPPROTO_UDP_NUMBER;
    memcpy(ip + 12, &src->u.v4.sin_addr, 4);
    memcpy(ip + 16, &dst->u.v4.sin_addr, 4);
    brtc_wr16(ip + 10, ipv4_checksum(ip));
  } else {
    ip[0] = 0x60;
    brtc_wr16(ip + 4, (uint16_t)(UDP_HEADER + len));
    ip[6] = IPPROTO_UDP_NUMBER;
    ip[7] = 64; /* hop limit */
    memcpy(ip + 8, &src->u.v6.sin6_addr, 16);
    memcpy(ip + 24, &dst->u.v6.sin6_addr, 16);
  }
  uint8_t *udp = ip + ip_len;
  brtc_wr16(udp, brtc_addr_port(src));
  brtc_wr16(udp + 2, brtc_addr_port(dst));
  brtc_wr16(udp + 4, (uint16_t)(UDP_HEADER + len));
  brtc_wr16(udp + 6, 0); /* no checksum: the capture shows payloads, not a wire to verify */
  size_t head = 16 + ip_len + UDP_HEADER;
  if (fwrite(h, 1, head, p->f) != head || fwrite(payload, 1, len, p->f) != len)
    return BRTC_ERR_IO;
  p->bytes += head + len;
  return BRTC_OK;
}

int brtc_pcap_close(brtc_pcap_file *p) {
  if (!p->f) return BRTC_OK;
  int rc = fclose(p->f) == 0 ? BRTC_OK : BRTC_ERR_IO;
  p->f = NULL;
  return rc;
}
