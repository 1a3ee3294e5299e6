/* BRTC_EXPORT marks the library's public functions. The library is built with hidden
 * visibility (-fvisibility=hidden), so nothing else leaves a shared build of it; a program
 * that links the static library may define BRTC_STATIC, which marks nothing. */
#ifndef BOLTRTC_EXPORT_H
#define BOLTRTC_EXPORT_H

#if defined(BRTC_STATIC)
#define BRTC_EXPORT
#elif defined(__GNUC__) || defined(__clang__)
#define BRTC_EXPORT __attribute__((visibility("default")))
#else
#define BRTC_EXPORT
#endif

#endif
