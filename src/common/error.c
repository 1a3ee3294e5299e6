#include "boltrtc/error.h"

const char *brtc_strerror(int err) {
  switch (err) {
    case BRTC_OK: return "ok";
    case BRTC_ERR_INVALID: return "invalid argument";
    case BRTC_ERR_PARSE: return "malformed input";
    case BRTC_ERR_NOMEM: return "out of memory";
    case BRTC_ERR_AUTH: return "authentication failed";
    case BRTC_ERR_STATE: return "wrong state";
    case BRTC_ERR_UNSUPPORTED: return "unsupported";
    case BRTC_ERR_CRYPTO: return "crypto error";
    case BRTC_ERR_TOO_BIG: return "too big";
    case BRTC_ERR_REPLAY: return "replayed or too old";
    case BRTC_ERR_LIMIT: return "limit reached";
    case BRTC_ERR_IO: return "i/o error";
    case BRTC_ERR_AGAIN: return "try again";
    case BRTC_ERR_NOT_FOUND: return "not found";
    default: return "unknown error";
  }
}
