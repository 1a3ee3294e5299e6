/* Work that can wait (saving keyframes as JPEG) must not take the CPU from work that cannot
 * (the loop reading media off its socket): a loop kept off the CPU for tens of milliseconds
 * lets the kernel's receive buffer overflow, and every datagram lost then costs a NACK, or a
 * PLI and a whole new keyframe (docs/benchmarks.md, "The loss at 500 publishers"). */
#ifndef BRTC_SIGNAL_BACKGROUND_PRIORITY_H
#define BRTC_SIGNAL_BACKGROUND_PRIORITY_H

/* How much nicer than the process background threads are: a thread of the process's own
 * nice then gets ~10 times their CPU share when both are runnable, and they still get all
 * of an idle core. */
#define BRTC_BACKGROUND_NICE 10

/* Raises the calling thread's nice value by BRTC_BACKGROUND_NICE, to 19 at most (Linux: nice
 * is per thread). Returns BRTC_OK, or BRTC_ERR_IO if the kernel refused (the thread then runs
 * as before). */
int brtc_thread_make_background(void);

#endif
