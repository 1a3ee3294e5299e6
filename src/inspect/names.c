/* The names of STUN methods and classes (RFC 8489 5 and 18.2; TURN's, RFC 8656 17) and DTLS
 * handshake messages (RFC 5246 7.4, RFC 6347 4.2.1) that the describer and the field decoder
 * show (inspect/fields.h). */
#include "inspect/fields.h"

const char *brtc_inspect_stun_method(uint16_t type) {
  switch (type & 0x3eef) {
    case 0x001: return "Binding";
    case 0x003: return "Allocate";
    case 0x004: return "Refresh";
    case 0x006: return "Send";
    case 0x007: return "Data";
    case 0x008: return "CreatePermission";
    case 0x009: return "ChannelBind";
    default: return "method?";
  }
}

const char *brtc_inspect_stun_class(uint16_t type) {
  switch (type & 0x0110) {
    case 0x0000: return "request";
    case 0x0010: return "indication";
    case 0x0100: return "success response";
    default: return "error response";
  }
}

const char *brtc_inspect_handshake_name(uint8_t type) {
  switch (type) {
    case 1: return "ClientHello";
    case 2: return "ServerHello";
    case 3: return "HelloVerifyRequest";
    case 11: return "Certificate";
    case 12: return "ServerKeyExchange";
    case 13: return "CertificateRequest";
    case 14: return "ServerHelloDone";
    case 15: return "CertificateVerify";
    case 16: return "ClientKeyExchange";
    case 20: return "Finished";
    default: return "handshake?";
  }
}
