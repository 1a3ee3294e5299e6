/* bench_send's parts (bench_send.c, send_udp.c, send_memory.c). */
#ifndef BRTC_BENCH_SEND_H
#define BRTC_BENCH_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DATAGRAM 1200
#define PACKETS_PER_FRAME 30
#define BATCH 64
#define SLOT 1536
#define SLICES 10

/* Packets per second of this thread's CPU time over all slices: what one core does, whatever
 * else the shared machine runs meanwhile. The wall-clock rate of the fastest slice beside it
 * shows how much of a core the machine let us have. */
typedef struct result {
  double pps, wall_pps;
  double avg_datagram;
  uint64_t packets, bytes;
  double cpu;
} result;

/* Where a frame's protected datagrams go: nowhere (NULL, in memory) or through a UDP socket
 * (send_udp.c); lens[i] is batch[i]'s length. */
typedef struct send_sink send_sink;
void send_sink_frame(send_sink *sink, uint8_t (*batch)[SLOT], const size_t *lens, size_t n);

/* The boltrtc path (fixed_frames > 0: that many frames in one slice), and the minimal header
 * write, copy and protect with ours (lib false) or libsrtp2, each frame handed to sink. */
result bench_path(bool gcm, int fixed_frames, send_sink *sink);
result bench_minimal(bool gcm, bool lib, send_sink *sink);

int bench_send_udp(double seconds); /* send_udp.c: bench_send --udp */
void bench_send_memory(void);       /* send_memory.c */

#endif
