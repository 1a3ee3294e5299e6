/* Rooms on the WebSocket signaling: admission, the relay between members, and the ICE
 * servers each member is handed (see rooms.h). */
#include "signal/rooms.h"

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "boltrtc/error.h"
#include "common/log.h"
#include "signal/server_internal.h"
#include "signal/ws_messages.h"

struct brtc_room {
  char name[BRTC_ROOM_NAME_MAX + 1];
  bool has_key;
  uint8_t key_hash[BRTC_TOKEN_HASH_LEN];
  brtc_ws_conn *members[BRTC_ROOM_MAX_SIZE];
  size_t n_members;
  brtc_room *prev, *next;
};

struct brtc_rooms {
  size_t max_rooms, room_size;
  char **stun_urls, **turn_urls;
  size_t n_stun_urls, n_turn_urls;
  char *turn_secret;
  unsigned turn_ttl_s;
  brtc_room *list;
  brtc_rooms_stats stats;
};

static char **copy_strings(const char *const *in, size_t n) {
  char **out = calloc(n ? n : 1, sizeof(char *));
  for (size_t i = 0; out && i < n; i++) {
    out[i] = strdup(in[i]);
    if (!out[i]) {
      while (i--) free(out[i]);
      free(out);
      return NULL;
    }
  }
  return out;
}

static void free_strings(char **s, size_t n) {
  for (size_t i = 0; s && i < n; i++) free(s[i]);
  free(s);
}

brtc_rooms *brtc_rooms_new(const brtc_rooms_config *config, char *err, size_t err_cap) {
  if (config->room_size > BRTC_ROOM_MAX_SIZE || config->room_size == 1) {
    snprintf(err, err_cap, "a room holds 2 to %d members", BRTC_ROOM_MAX_SIZE);
    return NULL;
  }
  if (config->n_turn_urls && !(config->turn_secret && config->turn_secret[0])) {
    snprintf(err, err_cap, "TURN URLs need the secret shared with the TURN server");
    return NULL;
  }
  brtc_rooms *r = calloc(1, sizeof(*r));
  if (!r) goto nomem;
  r->max_rooms = config->max_rooms ? config->max_rooms : BRTC_ROOM_DEFAULT_MAX_ROOMS;
  r->room_size = config->room_size ? config->room_size : BRTC_ROOM_DEFAULT_SIZE;
  r->turn_ttl_s = config->turn_ttl_s ? config->turn_ttl_s : BRTC_ROOM_DEFAULT_TURN_TTL_S;
  r->stun_urls = copy_strings(config->stun_urls, config->n_stun_urls);
  r->turn_urls = copy_strings(config->turn_urls, config->n_turn_urls);
  r->turn_secret = strdup(config->turn_secret ? config->turn_secret : "");
  if (!r->stun_urls || !r->turn_urls || !r->turn_secret) {
    brtc_rooms_free(r);
    goto nomem;
  }
  r->n_stun_urls = config->n_stun_urls;
  r->n_turn_urls = config->n_turn_urls;
  return r;
nomem:
  snprintf(err, err_cap, "out of memory");
  return NULL;
}

void brtc_rooms_free(brtc_rooms *r) {
  if (!r) return;
  while (r->list) {
    brtc_room *room = r->list;
    r->list = room->next;
    for (size_t i = 0; i < room->n_members; i++) room->members[i]->room = NULL;
    free(room);
  }
  free_strings(r->stun_urls, r->n_stun_urls);
  free_strings(r->turn_urls, r->n_turn_urls);
  if (r->turn_secret) OPENSSL_cleanse(r->turn_secret, strlen(r->turn_secret));
  free(r->turn_secret);
  free(r);
}

static bool name_valid(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > BRTC_ROOM_NAME_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char ch = name[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-' || ch == '_' || ch == '.';
    if (!ok) return false;
  }
  return true;
}

static brtc_room *find(brtc_rooms *r, const char *name) {
  for (brtc_room *room = r->list; room; room = room->next)
    if (strcmp(room->name, name) == 0) return room;
  return NULL;
}

static void unlink_room(brtc_rooms *r, brtc_room *room) {
  if (room->prev) room->prev->next = room->next;
  else r->list = room->next;
  if (room->next) room->next->prev = room->prev;
  r->stats.rooms--;
  free(room);
}

int brtc_rooms_admit(brtc_rooms *r, const char *name, const char *key, brtc_room **out,
                     char *why, size_t why_cap) {
  *out = NULL;
  if (!name_valid(name)) {
    r->stats.refused_name++;
    snprintf(why, why_cap, "a room name is 1 to %d letters, digits, '-', '_' or '.'",
             BRTC_ROOM_NAME_MAX);
    return 400;
  }
  bool keyed = key && key[0];
  uint8_t hash[BRTC_TOKEN_HASH_LEN];
  if (keyed) brtc_auth_hash(key, strlen(key), hash);
  brtc_room *room = find(r, name);
  if (room) {
    /* Whether the key matches is decided before whether the room is full, so a stranger
     * learns nothing about a keyed room's members. */
    bool match = room->has_key == keyed &&
                 (!keyed || CRYPTO_memcmp(room->key_hash, hash, sizeof(hash)) == 0);
    if (!match) {
      r->stats.refused_key++;
      snprintf(why, why_cap, "%s", keyed || room->has_key ? "that key does not open this room"
                                                          : "this room has no key");
      return 403;
    }
    if (room->n_members >= r->room_size) {
      r->stats.refused_full++;
      snprintf(why, why_cap, "room %s is full (%zu members)", name, r->room_size);
      return 409;
    }
    *out = room;
    return 0;
  }
  if (r->stats.rooms >= r->max_rooms) {
    r->stats.refused_rooms++;
    snprintf(why, why_cap, "the server holds its most rooms (%zu): try again later",
             r->max_rooms);
    return 503;
  }
  room = calloc(1, sizeof(*room));
  if (!room) {
    snprintf(why, why_cap, "out of memory");
    return 503;
  }
  snprintf(room->name, sizeof(room->name), "%s", name);
  room->has_key = keyed;
  if (keyed) memcpy(room->key_hash, hash, sizeof(hash));
  room->next = r->list;
  if (r->list) r->list->prev = room;
  r->list = room;
  r->stats.rooms++;
  *out = room;
  return 0;
}

void brtc_rooms_abandon(brtc_rooms *r, brtc_room *room) {
  if (room && room->n_members == 0) unlink_room(r, room);
}

int brtc_rooms_turn_password(const char *secret, const char *username, char *out, size_t cap) {
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned mac_len = 0;
  if (cap < 29 || !HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)username,
                        strlen(username), mac, &mac_len))
    return BRTC_ERR_INVALID;
  EVP_EncodeBlock((uint8_t *)out, mac, (int)mac_len); /* 20 bytes: 28 characters and a NUL */
  return BRTC_OK;
}

/* RTCPeerConnection's iceServers (W3C webrtc-pc 4.2.1); label ends the TURN username. */
static cJSON *ice_servers(const brtc_rooms *r, const char *label, uint64_t now_unix) {
  cJSON *list = cJSON_CreateArray();
  if (!list) return NULL;
  if (r->n_stun_urls) {
    cJSON *s = cJSON_CreateObject();
    cJSON *urls = cJSON_AddArrayToObject(s, "urls");
    for (size_t i = 0; i < r->n_stun_urls; i++)
      cJSON_AddItemToArray(urls, cJSON_CreateString(r->stun_urls[i]));
    cJSON_AddItemToArray(list, s);
  }
  if (r->n_turn_urls) {
    char username[32 + BRTC_ROOM_NAME_MAX], password[32];
    snprintf(username, sizeof(username), "%llu:%s",
             (unsigned long long)(now_unix + r->turn_ttl_s), label);
    if (brtc_rooms_turn_password(r->turn_secret, username, password, sizeof(password)) ==
        BRTC_OK) {
      cJSON *s = cJSON_CreateObject();
      cJSON *urls = cJSON_AddArrayToObject(s, "urls");
      for (size_t i = 0; i < r->n_turn_urls; i++)
        cJSON_AddItemToArray(urls, cJSON_CreateString(r->turn_urls[i]));
      cJSON_AddStringToObject(s, "username", username);
      cJSON_AddStringToObject(s, "credential", password);
      cJSON_AddItemToArray(list, s);
      OPENSSL_cleanse(password, sizeof(password));
    }
  }
  return list;
}

char *brtc_rooms_ice_servers_text(const brtc_rooms *r, const char *label, uint64_t now_unix) {
  cJSON *o = cJSON_CreateObject();
  cJSON *list = ice_servers(r, label, now_unix);
  if (!o || !list || !cJSON_AddItemToObject(o, "iceServers", list)) {
    cJSON_Delete(list); /* not o's unless the add succeeded */
    cJSON_Delete(o);
    return NULL;
  }
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

static char *notice(const char *type) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", type);
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

int brtc_rooms_join(brtc_rooms *r, brtc_room *room, brtc_ws_conn *member, uint64_t now_unix) {
  if (room->n_members >= r->room_size) return BRTC_ERR_LIMIT; /* admit said there was room */
  for (size_t i = 0; i < room->n_members; i++)
    brtc_ws_conn_send(room->members[i], notice("peer-joined"));
  room->members[room->n_members++] = member;
  member->room = room;
  r->stats.members++;
  r->stats.joined++;
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "type", "joined");
  cJSON_AddStringToObject(o, "room", room->name);
  cJSON_AddNumberToObject(o, "members", (double)room->n_members);
  cJSON_AddItemToObject(o, "iceServers", ice_servers(r, room->name, now_unix));
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  brtc_log(BRTC_LOG_INFO, NULL, "room %s: a member joined (%zu of %zu)", room->name,
           room->n_members, r->room_size);
  brtc_ws_conn_send(member, text);
  return BRTC_OK;
}

/* The types the server sends itself: a member may not forge them to another. */
static bool reserved_type(const char *type) {
  return strcmp(type, "joined") == 0 || strcmp(type, "peer-joined") == 0 ||
         strcmp(type, "peer-left") == 0 || strcmp(type, "error") == 0;
}

static void refuse(brtc_rooms *r, brtc_ws_conn *member, const char *why) {
  r->stats.relay_refused++;
  brtc_ws_conn_send(member, brtc_ws_make_error(why));
}

void brtc_rooms_message(brtc_rooms *r, brtc_ws_conn *member, const char *text, size_t len) {
  brtc_room *room = member->room;
  if (!room) return;
  cJSON *o = cJSON_ParseWithLength(text, len);
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "type");
  bool ok = cJSON_IsObject(o) && cJSON_IsString(type) && type->valuestring[0];
  bool reserved = ok && reserved_type(type->valuestring);
  cJSON_Delete(o);
  if (!ok) {
    refuse(r, member, "a room message is a JSON object with a string \"type\"");
    return;
  }
  if (reserved) {
    refuse(r, member, "that type is the server's own: it is not relayed");
    return;
  }
  size_t sent = 0;
  for (size_t i = 0; i < room->n_members; i++) {
    brtc_ws_conn *peer = room->members[i];
    if (peer == member || !peer->conn || !peer->conn->ws) continue;
    /* A peer that does not read loses this message, not its connection: one member must not
     * be able to end another's by sending fast. */
    if (brtc_websocket_send(peer->conn->ws, true, text, len) == BRTC_OK) {
      brtc_conn_kick(peer->conn);
      sent++;
    }
  }
  if (sent) {
    r->stats.relayed++;
  } else {
    refuse(r, member, room->n_members < 2 ? "no one else is in the room yet: wait for peer-joined"
                                          : "the other member is not reading: message dropped");
  }
}

void brtc_rooms_leave(brtc_rooms *r, brtc_ws_conn *member) {
  brtc_room *room = member->room;
  if (!room) return;
  member->room = NULL;
  size_t j = 0;
  for (size_t i = 0; i < room->n_members; i++)
    if (room->members[i] != member) room->members[j++] = room->members[i];
  room->n_members = j;
  r->stats.members--;
  brtc_log(BRTC_LOG_INFO, NULL, "room %s: a member left (%zu remain)", room->name, j);
  for (size_t i = 0; i < room->n_members; i++)
    brtc_ws_conn_send(room->members[i], notice("peer-left"));
  if (room->n_members == 0) unlink_room(r, room);
}

void brtc_rooms_get_stats(const brtc_rooms *r, brtc_rooms_stats *out) { *out = r->stats; }
