/* --capture's files byte by byte: the pcap header and records (LINKTYPE_RAW, the IPv4 header
 * and its checksum, IPv6, UDP ports and lengths, the payload as given), the direction of each
 * datagram, the shared size cap, the keylog's owner-only mode. tests/e2e (e2e_browser_capture)
 * reads real captures back with tshark. */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boltrtc/error.h"
#include "common/addr.h"
#include "common/bytes.h"
#include "signal/capture.h"
#include "signal/pcap_file.h"
#include "testing.h"

static size_t read_all(const char *path, uint8_t *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return n;
}

static uint32_t host32(const uint8_t *p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}

/* RFC 791: summing a header with its checksum in gives 0xffff. */
static bool ipv4_sum_ok(const uint8_t *h) {
  uint32_t sum = 0;
  for (size_t i = 0; i < 20; i += 2) sum += (uint32_t)(h[i] << 8 | h[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return sum == 0xffff;
}

static char tmp_dir[] = "/tmp/boltrtc-capture-XXXXXX";

static void test_pcap_records(void) {
  const char *dir = tmp_dir;
  char path[PATH_MAX];
  snprintf(path, sizeof(path), "%s/t.pcap", dir);
  brtc_pcap_file p;
  CHECK_EQ_INT(brtc_pcap_open(&p, path), BRTC_OK);
  brtc_addr a, b, c6, d6;
  brtc_addr_from_ip(&a, "192.0.2.1", 50000);
  brtc_addr_from_ip(&b, "198.51.100.7", 3478);
  brtc_addr_from_ip(&c6, "2001:db8::1", 5000);
  brtc_addr_from_ip(&d6, "2001:db8::2", 6000);
  static const uint8_t payload[] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42};
  CHECK_EQ_INT(brtc_pcap_write_udp(&p, 1700000000123456789ull, &a, &b, payload, sizeof(payload)),
               BRTC_OK);
  CHECK_EQ_INT(brtc_pcap_write_udp(&p, 1700000001000000000ull, &c6, &d6, payload, 3), BRTC_OK);
  CHECK_EQ_INT(brtc_pcap_write_udp(&p, 1, &a, &d6, payload, 3), BRTC_ERR_INVALID);
  CHECK_EQ_INT(p.bytes, 24 + brtc_pcap_record_size(&a, 8) + brtc_pcap_record_size(&c6, 3));
  CHECK_EQ_INT(brtc_pcap_close(&p), BRTC_OK);

  uint8_t f[512];
  size_t n = read_all(path, f, sizeof(f));
  CHECK_EQ_INT(n, 24 + (16 + 20 + 8 + 8) + (16 + 40 + 8 + 3));
  CHECK_EQ_INT(host32(f), 0xa1b23c4du); /* nanosecond timestamps */
  CHECK_EQ_INT(host32(f + 20), 101);   /* LINKTYPE_RAW */
  const uint8_t *r = f + 24;
  CHECK_EQ_INT(host32(r), 1700000000u);
  CHECK_EQ_INT(host32(r + 4), 123456789u);
  CHECK_EQ_INT(host32(r + 8), 36);
  const uint8_t *ip = r + 16;
  CHECK_EQ_INT(ip[0], 0x45);
  CHECK_EQ_INT(brtc_rd16(ip + 2), 36);
  CHECK_EQ_INT(ip[9], 17);
  CHECK(ipv4_sum_ok(ip));
  static const uint8_t src4[] = {192, 0, 2, 1}, dst4[] = {198, 51, 100, 7};
  CHECK(memcmp(ip + 12, src4, 4) == 0 && memcmp(ip + 16, dst4, 4) == 0);
  CHECK_EQ_INT(brtc_rd16(ip + 20), 50000);
  CHECK_EQ_INT(brtc_rd16(ip + 22), 3478);
  CHECK_EQ_INT(brtc_rd16(ip + 24), 16);
  CHECK(memcmp(ip + 28, payload, 8) == 0);
  r = ip + 36;
  CHECK_EQ_INT(host32(r + 8), 51);
  ip = r + 16;
  CHECK_EQ_INT(ip[0] >> 4, 6);
  CHECK_EQ_INT(brtc_rd16(ip + 4), 11); /* payload length: UDP header and 3 bytes */
  CHECK_EQ_INT(ip[6], 17);
  CHECK_EQ_INT(ip[23], 1);
  CHECK_EQ_INT(ip[39], 2);
  CHECK_EQ_INT(brtc_rd16(ip + 40), 5000);
  CHECK_EQ_INT(brtc_rd16(ip + 42), 6000);
  CHECK(memcmp(ip + 48, payload, 3) == 0);
  unlink(path);
}

static void find_file(const char *dir, const char *suffix, char *out, size_t cap) {
  out[0] = '\0';
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  size_t sl = strlen(suffix);
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l > sl && strcmp(e->d_name + l - sl, suffix) == 0)
      snprintf(out, cap, "%s/%s", dir, e->d_name);
  }
  closedir(d);
}

static void test_session_capture(void) {
  const char *dir = tmp_dir;
  char folder[PATH_MAX];
  snprintf(folder, sizeof(folder), "%s/cap", dir);
  struct sockaddr_storage local[2];
  memset(local, 0, sizeof(local));
  brtc_addr l4, l6, peer;
  brtc_addr_from_ip(&l6, "::1", 7000);
  brtc_addr_from_ip(&l4, "127.0.0.1", 7000);
  memcpy(&local[0], &l6.u, sizeof(l6.u.v6));
  memcpy(&local[1], &l4.u, sizeof(l4.u.v4));
  brtc_addr_from_ip(&peer, "127.0.0.1", 40000);
  char err[256];
  /* Room for the headers and three 100-byte records, not four. */
  uint64_t cap = 24 * 2 + 3 * brtc_pcap_record_size(&peer, 100);
  brtc_capture *c = brtc_capture_open(folder, "s7", local, 2, cap, err, sizeof(err));
  CHECK(c != NULL);
  if (!c) return;
  CHECK(strstr(brtc_capture_prefix(c), "-s7") != NULL);
  uint8_t data[100];
  memset(data, 0xab, sizeof(data));
  brtc_capture_plain(c, true, data, sizeof(data)); /* no peer known yet: not recorded */
  brtc_capture_wire(c, true, data, sizeof(data), &peer.u.sa);
  brtc_capture_wire(c, false, data, sizeof(data), &peer.u.sa);
  CHECK(!brtc_capture_cap_reached(c));
  brtc_capture_plain(c, true, data, sizeof(data));
  brtc_capture_plain(c, false, data, sizeof(data)); /* over the cap */
  brtc_capture_wire(c, true, data, sizeof(data), &peer.u.sa);
  CHECK(brtc_capture_cap_reached(c));
  CHECK(!brtc_capture_cap_reached(c)); /* told once */
  CHECK_EQ_INT(brtc_capture_keylog(c, "CLIENT_RANDOM 00 11\n"), BRTC_OK);
  brtc_capture_close(c);

  char wire[PATH_MAX * 2], plain[PATH_MAX * 2], keylog[PATH_MAX * 2];
  find_file(folder, "-s7-wire.pcap", wire, sizeof(wire));
  find_file(folder, "-s7-plain.pcap", plain, sizeof(plain));
  find_file(folder, "-s7-keylog.txt", keylog, sizeof(keylog));
  uint8_t f[2048];
  size_t rec = brtc_pcap_record_size(&peer, 100);
  CHECK_EQ_INT(read_all(wire, f, sizeof(f)), 24 + 2 * rec);
  /* Inbound: from the peer to our IPv4 address (the IPv6 one is not the peer's family). */
  const uint8_t *ip = f + 24 + 16;
  CHECK_EQ_INT(brtc_rd16(ip + 20), 40000);
  CHECK_EQ_INT(brtc_rd16(ip + 22), 7000);
  ip = f + 24 + rec + 16;
  CHECK_EQ_INT(brtc_rd16(ip + 20), 7000);
  CHECK_EQ_INT(brtc_rd16(ip + 22), 40000);
  CHECK_EQ_INT(read_all(plain, f, sizeof(f)), 24 + rec);
  struct stat st;
  CHECK(stat(keylog, &st) == 0 && (st.st_mode & 0777) == 0600);
  CHECK_EQ_INT(read_all(keylog, f, sizeof(f)), 20);
  unlink(wire);
  unlink(plain);
  unlink(keylog);
  rmdir(folder);

  /* A folder that cannot be made: a one-line reason, no capture. */
  c = brtc_capture_open("/proc/no/such", "s8", local, 2, cap, err, sizeof(err));
  CHECK(c == NULL);
  CHECK(strstr(err, "/proc/no/such") != NULL);
}

int main(void) {
  if (!mkdtemp(tmp_dir)) return 1;
  RUN(test_pcap_records);
  RUN(test_session_capture);
  rmdir(tmp_dir);
  return TEST_REPORT();
}
