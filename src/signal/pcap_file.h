/* A pcap file (the classic libpcap format, nanosecond timestamps) of UDP datagrams, each
 * wrapped in the IPv4 or IPv6 and UDP headers it had on the wire (LINKTYPE_RAW), so that
 * Wireshark and tshark read it like a capture taken on the interface. */
#ifndef BRTC_SIGNAL_PCAP_FILE_H
#define BRTC_SIGNAL_PCAP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/addr.h"

typedef struct brtc_pcap_file {
  FILE *f;
  uint64_t bytes; /* written so far, headers included */
} brtc_pcap_file;

/* Creates path (truncating it) and writes the file header. */
int brtc_pcap_open(brtc_pcap_file *p, const char *path);
/* One datagram from src to dst (both of one family) at wall-clock time unix_ns. Payloads
 * too large for one IP packet are cut to what fits (never the case for WebRTC's). */
int brtc_pcap_write_udp(brtc_pcap_file *p, uint64_t unix_ns, const brtc_addr *src,
                        const brtc_addr *dst, const uint8_t *payload, size_t len);
/* The bytes one brtc_pcap_write_udp of len would add. */
size_t brtc_pcap_record_size(const brtc_addr *src, size_t len);
int brtc_pcap_close(brtc_pcap_file *p);

#endif
