/* boltrtc's one error type: every fallible function returns one of these (0 on success);
 * calls that can fail for a reason a user must read also write one line into the caller's
 * err buffer. */
#ifndef BOLTRTC_ERROR_H
#define BOLTRTC_ERROR_H

#include "boltrtc/export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum brtc_err {
  BRTC_OK = 0,
  BRTC_ERR_INVALID = -1,     /* bad argument from the caller */
  BRTC_ERR_PARSE = -2,       /* malformed input */
  BRTC_ERR_NOMEM = -3,       /* allocation failed */
  BRTC_ERR_AUTH = -4,        /* integrity or authentication check failed */
  BRTC_ERR_STATE = -5,       /* not valid in the current state */
  BRTC_ERR_UNSUPPORTED = -6, /* well-formed but not something we do */
  BRTC_ERR_CRYPTO = -7,      /* OpenSSL reported an error */
  BRTC_ERR_TOO_BIG = -8,     /* output does not fit, or input exceeds a limit */
  BRTC_ERR_REPLAY = -9,      /* packet already seen or too old */
  BRTC_ERR_LIMIT = -10,      /* a configured limit (sessions, streams) is reached */
  BRTC_ERR_IO = -11,         /* a system call failed */
  BRTC_ERR_AGAIN = -12,      /* nothing to do yet */
  BRTC_ERR_NOT_FOUND = -13,  /* no such item */
} brtc_err;

/* A short, static, human-readable name for an error code ("wrong state"). */
BRTC_EXPORT const char *brtc_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
