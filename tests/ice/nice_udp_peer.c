/* nice_udp_peer: libnice (Debian's libnice 0.1.21, the ICE agent under GStreamer's webrtcbin)
 * behind the same line protocol as ice_udp_peer.c, so that a test or a benchmark can put it
 * against our agent. Options as webrtcbin sets them: RFC 5245 compatibility, regular
 * nomination, trickle; no UPnP, no ICE-TCP; candidates only on the addresses given.
 *
 *   nice_udp_peer (--controlling | --controlled) --bind IP [--bind IP]...
 *
 * Prints ufrag, pwd, candidate lines and gathering-done once gathered; then the same
 * commands and reports as ice_udp_peer (state, selected, connected, data). "connected" is
 * libnice's READY: a pair nominated. */
#include <glib-unix.h>
#include <nice/agent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct peer {
  GMainLoop *loop;
  NiceAgent *agent;
  guint stream;
  gint64 start_us;
  gboolean started, connected, controlling;
  gchar *rufrag, *rpwd;
  gboolean reoc;
  GSList *rcands;
  GString *in;
} peer;

static double ms_since_start(const peer *p) {
  return p->started ? (double)(g_get_monotonic_time() - p->start_us) / 1000.0 : 0.0;
}

static void on_gathering_done(NiceAgent *agent, guint stream, gpointer user) {
  peer *p = user;
  gchar *ufrag = NULL, *pwd = NULL;
  nice_agent_get_local_credentials(agent, stream, &ufrag, &pwd);
  printf("ufrag %s\npwd %s\n", ufrag, pwd);
  GSList *cands = nice_agent_get_local_candidates(agent, stream, 1);
  for (GSList *i = cands; i; i = i->next) {
    gchar *sdp = nice_agent_generate_local_candidate_sdp(agent, i->data);
    printf("candidate %s\n", g_str_has_prefix(sdp, "a=") ? sdp + 2 : sdp);
    g_free(sdp);
  }
  g_slist_free_full(cands, (GDestroyNotify)nice_candidate_free);
  printf("gathering-done\n");
  fflush(stdout);
  g_free(ufrag);
  g_free(pwd);
  (void)p;
}

static const char *state_name(guint state) {
  switch (state) {
    case NICE_COMPONENT_STATE_DISCONNECTED: return "disconnected";
    case NICE_COMPONENT_STATE_GATHERING: return "gathering";
    case NICE_COMPONENT_STATE_CONNECTING: return "checking";
    case NICE_COMPONENT_STATE_CONNECTED: return "connected-unnominated";
    case NICE_COMPONENT_STATE_READY: return "connected";
    case NICE_COMPONENT_STATE_FAILED: return "failed";
    default: return "other";
  }
}

static void on_state(NiceAgent *agent, guint stream, guint component, guint state, gpointer user) {
  peer *p = user;
  printf("state %s %.3f\n", state_name(state), ms_since_start(p));
  if (state == NICE_COMPONENT_STATE_READY && !p->connected) {
    p->connected = TRUE;
    printf("connected %.3f\n", ms_since_start(p));
  }
  fflush(stdout);
  (void)agent, (void)stream, (void)component;
}

static void on_selected(NiceAgent *agent, guint stream, guint component, NiceCandidate *l,
                        NiceCandidate *r, gpointer user) {
  peer *p = user;
  gchar a[NICE_ADDRESS_STRING_LEN], b[NICE_ADDRESS_STRING_LEN];
  nice_address_to_string(&l->base_addr, a);
  nice_address_to_string(&r->addr, b);
  printf("selected %s:%u %s:%u %.3f\n", a, nice_address_get_port(&l->base_addr), b,
         nice_address_get_port(&r->addr), ms_since_start(p));
  fflush(stdout);
  (void)agent, (void)stream, (void)component;
}

static void on_recv(NiceAgent *agent, guint stream, guint component, guint len, gchar *buf,
                    gpointer user) {
  printf("data %.*s\n", (int)len, buf);
  fflush(stdout);
  if (len < 5 || memcmp(buf, "echo:", 5) != 0) {
    gchar *reply = g_strdup_printf("echo:%.*s", (int)len, buf);
    nice_agent_send(agent, stream, component, (guint)strlen(reply), reply);
    g_free(reply);
  }
  (void)user;
}

static void add_remote(peer *p, const char *line) {
  gchar *sdp = g_strdup_printf("a=%s", line);
  NiceCandidate *c = nice_agent_parse_remote_candidate_sdp(p->agent, p->stream, sdp);
  g_free(sdp);
  if (!c) {
    printf("error libnice did not parse %s\n", line);
    return;
  }
  if (p->started) {
    GSList one = {.data = c, .next = NULL};
    nice_agent_set_remote_candidates(p->agent, p->stream, 1, &one);
    nice_candidate_free(c);
  } else {
    p->rcands = g_slist_append(p->rcands, c);
  }
}

static void command(peer *p, const char *line) {
  if (g_str_has_prefix(line, "remote-ufrag ")) {
    g_free(p->rufrag);
    p->rufrag = g_strdup(line + 13);
  } else if (g_str_has_prefix(line, "remote-pwd ")) {
    g_free(p->rpwd);
    p->rpwd = g_strdup(line + 11);
  } else if (g_str_has_prefix(line, "candidate ")) {
    add_remote(p, line + 10);
  } else if (strcmp(line, "end-of-candidates") == 0) {
    if (p->started) nice_agent_peer_candidate_gathering_done(p->agent, p->stream);
    else p->reoc = TRUE;
  } else if (strcmp(line, "start") == 0) {
    p->start_us = g_get_monotonic_time();
    p->started = TRUE;
    nice_agent_set_remote_credentials(p->agent, p->stream, p->rufrag, p->rpwd);
    nice_agent_set_remote_candidates(p->agent, p->stream, 1, p->rcands);
    g_slist_free_full(p->rcands, (GDestroyNotify)nice_candidate_free);
    p->rcands = NULL;
    if (p->reoc) nice_agent_peer_candidate_gathering_done(p->agent, p->stream);
  } else if (g_str_has_prefix(line, "send ")) {
    nice_agent_send(p->agent, p->stream, 1, (guint)strlen(line + 5), line + 5);
  } else if (strcmp(line, "quit") == 0) {
    g_main_loop_quit(p->loop);
  }
  fflush(stdout);
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer user) {
  peer *p = user;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof(buf));
  if (n <= 0) { /* the driver went away */
    g_main_loop_quit(p->loop);
    return G_SOURCE_REMOVE;
  }
  g_string_append_len(p->in, buf, n);
  gchar *nl;
  while ((nl = memchr(p->in->str, '\n', p->in->len))) {
    *nl = '\0';
    if (nl > p->in->str && nl[-1] == '\r') nl[-1] = '\0';
    command(p, p->in->str);
    g_string_erase(p->in, 0, nl + 1 - p->in->str);
  }
  (void)cond;
  return G_SOURCE_CONTINUE;
}

int main(int argc, char **argv) {
  peer p = {0};
  gboolean role = FALSE;
  p.loop = g_main_loop_new(NULL, FALSE);
  p.in = g_string_new(NULL);
  p.agent = nice_agent_new_full(g_main_loop_get_context(p.loop), NICE_COMPATIBILITY_RFC5245,
                                NICE_AGENT_OPTION_REGULAR_NOMINATION | NICE_AGENT_OPTION_ICE_TRICKLE);
  g_object_set(p.agent, "upnp", FALSE, "ice-tcp", FALSE, NULL);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--controlling") == 0) p.controlling = role = TRUE;
    else if (strcmp(argv[i], "--controlled") == 0) role = TRUE;
    else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc) {
      NiceAddress a;
      nice_address_init(&a);
      if (!nice_address_set_from_string(&a, argv[++i]) || !nice_agent_add_local_address(p.agent, &a)) {
        fprintf(stderr, "nice_udp_peer: bad address %s\n", argv[i]);
        return 2;
      }
    } else {
      fprintf(stderr, "usage: nice_udp_peer (--controlling|--controlled) --bind IP...\n");
      return 2;
    }
  }
  if (!role) return 2;
  g_object_set(p.agent, "controlling-mode", p.controlling, NULL);
  g_signal_connect(p.agent, "candidate-gathering-done", G_CALLBACK(on_gathering_done), &p);
  g_signal_connect(p.agent, "component-state-changed", G_CALLBACK(on_state), &p);
  g_signal_connect(p.agent, "new-selected-pair-full", G_CALLBACK(on_selected), &p);
  p.stream = nice_agent_add_stream(p.agent, 1);
  nice_agent_attach_recv(p.agent, p.stream, 1, g_main_loop_get_context(p.loop), on_recv, &p);
  g_unix_fd_add(STDIN_FILENO, G_IO_IN | G_IO_HUP, on_stdin, &p);
  if (!nice_agent_gather_candidates(p.agent, p.stream)) {
    fprintf(stderr, "nice_udp_peer: gathering failed\n");
    return 1;
  }
  g_main_loop_run(p.loop);
  g_slist_free_full(p.rcands, (GDestroyNotify)nice_candidate_free);
  g_object_unref(p.agent);
  g_main_loop_unref(p.loop);
  g_string_free(p.in, TRUE);
  g_free(p.rufrag);
  g_free(p.rpwd);
  return 0;
}
