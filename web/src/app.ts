// The boltrtc page: sends the camera to the server over WebRTC, with signaling on a
// WebSocket (/ws), and teaches the journey as it happens: both sides' steps on one time base
// (journey.ts), what each step is (steps.ts), the SDP (sdp.ts), the chapters (chapter.ts) and
// the server's counters (live.ts).
//
// Progress is exposed for tests on <body>: data-state ("idle", "starting", "connecting",
// "connected", "closing", "failed", "closed") and data-keyframes (keyframes saved so far).

import { openChapter } from "./chapter.js";
import { Journey } from "./journey.js";
import { LiveCounters, showSummary } from "./live.js";
import { renderSdp } from "./sdp.js";

type ServerMessage =
  | { type: "answer"; sdp: string; inspect?: string }
  | { type: "step"; session: string; step: string; detail?: string; t_ms: number }
  | { type: "keyframe"; session: string; file: string; url: string; width: number; height: number; mid?: string }
  | { type: "candidate"; candidate: string; sdpMid?: string }
  | { type: "error"; message: string };

// The server trickles its candidates (RFC 8838) as its pc gathers them, "" ending them. They
// may come before its answer: held until the answer is applied, then added in order.
let remoteCandidates: RTCIceCandidateInit[] | null = [];

function addRemoteCandidate(conn: RTCPeerConnection, c: RTCIceCandidateInit): void {
  if (remoteCandidates) {
    remoteCandidates.push(c);
    return;
  }
  conn.addIceCandidate(c).catch((e) => browserStep("candidate-rejected", String(e)));
}

// early.ts, the page's first script, began the journey (with ?autostart=1) and keeps its timeline.
const early = window.boltrtcStart;
const mark = early.mark;

// Tests read getStats() from the live connection.
declare global {
  interface Window {
    boltrtcPeerConnection?: RTCPeerConnection;
  }
}

type PageState = "idle" | "starting" | "connecting" | "connected" | "closing" | "failed" | "closed";

function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing element #${id}`);
  return el as T;
}

const ui = {
  preview: byId<HTMLVideoElement>("preview"),
  connect: byId<HTMLButtonElement>("connect"),
  hangup: byId<HTMLButtonElement>("hangup"),
  snapshot: byId<HTMLButtonElement>("snapshot"),
  status: byId<HTMLSpanElement>("status"),
  sequence: byId<HTMLOListElement>("sequence"),
  outline: byId<HTMLOListElement>("outline"),
  sessionId: byId<HTMLSpanElement>("session-id"),
  inspect: byId<HTMLAnchorElement>("inspect"),
  counters: byId<HTMLElement>("counters"),
  summary: byId<HTMLElement>("summary"),
  chapter: byId<HTMLElement>("chapter"),
  offer: byId<HTMLOListElement>("sdp-offer"),
  answer: byId<HTMLOListElement>("sdp-answer"),
  gallery: byId<HTMLDivElement>("gallery"),
  keyframeCount: byId<HTMLSpanElement>("keyframe-count"),
  resolution: byId<HTMLSelectElement>("resolution"),
};

let pc: RTCPeerConnection | null = null;
let ws: WebSocket | null = null;
let stream: MediaStream | null = null;
let startedAt = 0;
let keyframes = 0;
let serverHasKeyframe = false; // the server saved this connection's first keyframe
let session = ""; // the server's id for this connection's session
// Hang up waits for the server's closing steps; this ends the wait.
let serverClosed: (() => void) | null = null;
// Browser-side state changes already shown, so a state seen twice is listed once; actions
// (a Snapshot, a keyframe shown) are listed each time.
const shownSteps = new Set<string>();
const REPEATED = new Set(["snapshot-requested", "keyframe-shown"]);

const journey = new Journey(ui.sequence, ui.outline);
const counters = new LiveCounters(ui.counters, () => session);

function setState(state: PageState, text?: string): void {
  document.body.dataset.state = state;
  ui.status.textContent = text ?? state;
  const active = state === "starting" || state === "connecting" || state === "connected";
  ui.connect.disabled = active || state === "closing";
  ui.resolution.disabled = active || state === "closing";
  ui.hangup.disabled = !active;
  ui.snapshot.disabled = state !== "connected";
}

function browserStep(name: string, detail?: string, isError = false): void {
  mark(name);
  const key = `${name}|${detail ?? ""}`;
  if (!REPEATED.has(name)) {
    if (shownSteps.has(key)) return;
    shownSteps.add(key);
  }
  journey.browser(name, performance.now() - startedAt, detail, isError);
}

function setSession(id: string): void {
  if (!id || id === session) return;
  session = id;
  ui.sessionId.textContent = id;
}

// The packet inspector's page for this session (/inspect, issue 7): the answer names it when
// the offer asked for the packets to be kept and the server had room. Its id is a secret of
// 128 bits, not the short session id of the steps and /api/status, which it does not accept.
function showInspector(url: string | undefined): void {
  if (!url || !/^\/inspect\?session=[0-9a-f]{32}$/.test(url)) return;
  ui.inspect.href = url;
  ui.inspect.hidden = false;
}

function send(msg: object): void {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

// One thumbnail, linked to the whole JPEG, with what it is: file, size, track, when, bytes.
function galleryFigure(url: string, file: string, caption: string): HTMLElement {
  const fig = document.createElement("figure");
  const link = document.createElement("a");
  link.href = url;
  link.target = "_blank";
  link.title = `open ${file} at full size`;
  const img = document.createElement("img");
  img.src = url;
  img.alt = `keyframe ${file}`;
  img.width = 200;
  link.append(img);
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  fig.append(link, cap);
  return fig;
}

// Every video track's keyframes go to the gallery (a camera and a screen, say); the mid says
// whose each one is.
function addKeyframe(msg: { file: string; url: string; width: number; height: number; mid?: string }): void {
  keyframes++;
  mark(`keyframe-${keyframes}`);
  document.body.dataset.keyframes = String(keyframes);
  ui.keyframeCount.textContent = String(keyframes);
  const at = new Date().toLocaleTimeString();
  const fig = galleryFigure(msg.url, msg.file,
    `${msg.file} · ${msg.width}×${msg.height}` + (msg.mid ? ` · track ${msg.mid}` : "") + ` · ${at}`);
  if (msg.mid) fig.dataset.mid = msg.mid;
  ui.gallery.prepend(fig);
  browserStep("keyframe-shown", msg.file);
}

// After a reload the gallery shows again what the server saved (its /api/status keeps the
// last keyframes), marked as earlier ones, after this connection's: its count starts at zero.
const RESTORED_MAX = 24;
// With ?autostart=1 the earlier keyframes are shown after this connection's first, or after
// RESTORE_WAIT_MS.
const RESTORE_WAIT_MS = 3000;
let restoreLater: (() => void) | null = null;
async function restoreGallery(): Promise<void> {
  try {
    const res = await fetch("/api/status");
    if (!res.ok) return;
    const status = (await res.json()) as {
      keyframes?: { file: string; width: number; height: number; session: string; bytes: number }[];
    };
    const saved = (status.keyframes ?? []).slice(-RESTORED_MAX).reverse(); // newest first
    for (const k of saved) {
      const url = `/output/${encodeURIComponent(k.file)}`;
      const kb = Math.max(1, Math.round(k.bytes / 1024));
      const fig = galleryFigure(url, k.file, `${k.file} · ${k.width}×${k.height} · ${kb} KB · session ${k.session}, earlier`);
      fig.dataset.restored = "1";
      const img = fig.querySelector("img");
      if (img) img.decoding = "async";
      ui.gallery.append(fig);
    }
  } catch {
    // No status (server gone): the gallery starts empty, as before.
  }
}

// The size the page asks its camera for, told to the server with the offer so that the answer's
// start bitrate and ceiling fit it (a sharp first keyframe at 720p too). The camera as it is
// (the default, early.ts) has no size before it starts, and the offer goes before that: the
// server then learns the size from the first keyframe.
function chosenSize(): { width: number; height: number } | undefined {
  const m = /^(\d+)x(\d+)$/.exec(ui.resolution.value);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}

// The microphone, asked for once the camera has started (one getUserMedia at a time in the
// browser, and the camera is what the journey waits for); none if there is none or it is
// refused: video alone is what matters.
async function getMicrophone(): Promise<MediaStreamTrack | undefined> {
  try {
    const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
    return s.getAudioTracks()[0];
  } catch {
    return undefined;
  }
}

// A keyframe catcher wants every pixel: ask the encoder to keep the resolution and give up
// frame rate instead when bandwidth or CPU is short (libwebrtc otherwise sends a 720p camera at
// 540p on a busy machine). Not contentHint "detail": it says the same but also switches
// libwebrtc to its screen-content settings, and the first 640x480 keyframe fell from 37 to 28 dB.
async function keepResolution(sender: RTCRtpSender): Promise<void> {
  try {
    const p = sender.getParameters() as RTCRtpSendParameters & { degradationPreference?: string };
    p.degradationPreference = "maintain-resolution";
    await sender.setParameters(p);
  } catch {
    // Not every browser takes it; the picture then only may come smaller.
  }
}

// VP8 first (the server decodes VP8 keyframes), keeping RTX so NACK repairs work.
function preferVp8(transceiver: RTCRtpTransceiver): void {
  const caps = RTCRtpSender.getCapabilities("video");
  if (!caps || typeof transceiver.setCodecPreferences !== "function") return;
  const vp8 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/vp8");
  const rtx = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/rtx");
  if (vp8.length === 0) return;
  try {
    transceiver.setCodecPreferences([...vp8, ...rtx]);
  } catch (e) {
    browserStep("codec-preferences-failed", String(e), true);
  }
}

async function reportSelectedPair(conn: RTCPeerConnection): Promise<void> {
  try {
    const stats = await conn.getStats();
    let pairId = "";
    stats.forEach((s) => {
      if (s.type === "transport" && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
    });
    const pair = pairId ? stats.get(pairId) : undefined;
    if (!pair) return;
    const local = stats.get(pair.localCandidateId);
    const remote = stats.get(pair.remoteCandidateId);
    if (local && remote) {
      browserStep("selected-pair", `${local.address}:${local.port} -> ${remote.address}:${remote.port} ${remote.protocol}`);
    }
  } catch {
    // Stats are informative only.
  }
}

function watchPeerConnection(conn: RTCPeerConnection): void {
  conn.onicegatheringstatechange = () => browserStep(`gathering-${conn.iceGatheringState}`);
  conn.onicecandidate = (ev) => {
    if (ev.candidate && ev.candidate.candidate) {
      browserStep("candidate", ev.candidate.candidate.split(" ").slice(4, 8).join(" "));
      send({ type: "candidate", candidate: ev.candidate.candidate, sdpMid: ev.candidate.sdpMid ?? "0" });
    } else {
      send({ type: "candidate", candidate: "" });
    }
  };
  conn.oniceconnectionstatechange = () => {
    const s = conn.iceConnectionState;
    browserStep(`ice-${s}`, undefined, s === "failed");
  };
  conn.onconnectionstatechange = () => {
    const s = conn.connectionState;
    browserStep(`connection-${s}`, undefined, s === "failed");
    // While hanging up the server closes first (close_notify): that is the end we wait for.
    if (document.body.dataset.state === "closing") return;
    if (s === "connected") {
      setState("connected", "connected");
      void reportSelectedPair(conn);
    } else if (s === "failed") {
      setState("failed", "connection failed");
      counters.stop();
    } else if (s === "closed" && document.body.dataset.state !== "failed") {
      setState("closed");
    }
  };
}

async function dtlsDetail(conn: RTCPeerConnection): Promise<string | undefined> {
  try {
    const stats = await conn.getStats();
    let detail: string | undefined;
    stats.forEach((s) => {
      if (s.type === "transport" && s.dtlsCipher) detail = `${s.dtlsCipher} srtp ${s.srtpCipher ?? "?"}`;
    });
    return detail;
  } catch {
    return undefined;
  }
}

// The DTLS transport exists once a local description is set; watch it from then on.
// The senders are offered before the camera's tracks arrive (replaceTrack later), so look for
// the transport on any sender: with max-bundle they all share one.
function watchDtls(conn: RTCPeerConnection): void {
  const dtls = conn.getSenders().find((s) => s.transport)?.transport;
  if (!dtls || dtls.onstatechange) return;
  dtls.onstatechange = () => {
    const state = dtls.state;
    if (state === "connected") {
      void dtlsDetail(conn).then((d) => browserStep("dtls-connected", d));
    } else {
      browserStep(`dtls-${state}`, undefined, state === "failed");
    }
  };
}

function handleServerMessage(conn: RTCPeerConnection, raw: string): void {
  let msg: ServerMessage;
  try {
    msg = JSON.parse(raw) as ServerMessage;
  } catch {
    browserStep("bad-server-message", raw.slice(0, 80), true);
    return;
  }
  switch (msg.type) {
    case "answer":
      browserStep("answer-received");
      renderSdp(ui.answer, msg.sdp);
      showInspector(msg.inspect);
      // Applied as is: the server's answer already sets the VP8 start bitrate and it sends REMB.
      conn
        .setRemoteDescription({ type: "answer", sdp: msg.sdp })
        .then(() => {
          browserStep("answer-applied");
          const held = remoteCandidates ?? [];
          remoteCandidates = null;
          for (const c of held) addRemoteCandidate(conn, c);
          watchDtls(conn);
        })
        .catch((e) => {
          browserStep("answer-rejected", String(e), true);
          setState("failed", "answer rejected");
        });
      break;
    case "candidate":
      addRemoteCandidate(conn, { candidate: msg.candidate, sdpMid: msg.sdpMid ?? "0" });
      break;
    case "step":
      mark(`server-${msg.step}`);
      setSession(msg.session);
      journey.server(msg.step, msg.t_ms, performance.now() - startedAt, msg.detail, msg.step === "failed");
      if ((msg.step === "closed" || msg.step === "failed") && serverClosed) serverClosed();
      break;
    case "keyframe":
      addKeyframe(msg);
      serverHasKeyframe = true;
      restoreLater?.();
      if (stream) showPreview(stream);
      break;
    case "error":
      journey.server("error", Math.max(0, performance.now() - startedAt - journey.serverToPage(0)), undefined, msg.message, true);
      break;
  }
}

// The preview starts once the server has saved the first keyframe, or after PREVIEW_WAIT_MS:
// a video element starting up keeps the page's main thread and the browser busy for a few
// hundred ms on a loaded machine, just while the encoder makes that keyframe and the server's
// message about it comes in.
const PREVIEW_WAIT_MS = 1000;

function showPreview(s: MediaStream): void {
  if (s === stream && ui.preview.srcObject !== s) ui.preview.srcObject = s;
}

function previewSoon(s: MediaStream): void {
  if (serverHasKeyframe) showPreview(s);
  else setTimeout(() => showPreview(s), PREVIEW_WAIT_MS);
}

// Everything that can start at once does: the WebSocket opens, the camera starts (both already
// begun by early.ts with ?autostart=1), and the connection is offered with empty senders, an
// audio one included, while the camera warms up, so ICE and DTLS are done by the time its
// first frame arrives (replaceTrack then needs no renegotiation).
async function connect(): Promise<void> {
  startedAt = performance.now();
  mark("connect");
  serverHasKeyframe = false;
  remoteCandidates = [];
  shownSteps.clear();
  journey.reset();
  session = "";
  ui.sessionId.textContent = "";
  ui.inspect.hidden = true;
  ui.summary.hidden = true;
  delete ui.summary.dataset.ready;
  ui.offer.replaceChildren();
  ui.answer.replaceChildren();
  document.body.dataset.connected = "1";
  setState("starting", "starting camera");
  const start = early.take() ?? early.begin(ui.resolution.value);
  const signaling = start.signaling; // awaited below; a failure is reported there
  try {
    const camera = start.camera;
    // ?relay=1 sends everything through the server's TURN relay (iceTransportPolicy
    // "relay"), as a network that lets no UDP through to the server would.
    const iceServers = await start.iceServers;
    mark("ice-servers");
    const relay = params.get("relay") === "1";
    if (relay && !iceServers.some((s) => [s.urls].flat().some((u) => u.startsWith("turn")))) {
      throw new Error("?relay=1, but the server hands out no TURN server (serve --turn-listen)");
    }
    const certificate = await start.certificate;
    const conn = new RTCPeerConnection({
      ...(certificate ? { certificates: [certificate] } : {}),
      iceServers,
      iceTransportPolicy: relay ? "relay" : "all",
      bundlePolicy: "max-bundle",
    });
    pc = conn;
    window.boltrtcPeerConnection = conn;
    // One stream for both senders from the offer on: the tracks are added to it as they come,
    // so their msid never changes (setStreams later would ask for a second negotiation).
    const local = new MediaStream();
    const video = conn.addTransceiver("video", { direction: "sendonly", streams: [local] });
    preferVp8(video);
    void keepResolution(video.sender);
    const audio = conn.addTransceiver("audio", { direction: "sendonly", streams: [local] });
    watchPeerConnection(conn);
    // A later negotiation on the live call (restartIce(), after a network change): the new
    // offer goes over the same WebSocket and the server answers it on the same session
    // (JSEP 5.2.2). The first offer is sent below; this is for the ones after its answer.
    conn.onnegotiationneeded = async () => {
      if (!conn.currentRemoteDescription || conn.signalingState !== "stable") return;
      try {
        await conn.setLocalDescription(await conn.createOffer());
        send({ type: "offer", sdp: conn.localDescription?.sdp ?? "" });
        browserStep("offer-sent", "a later offer (ICE restart or renegotiation)");
      } catch (e) {
        browserStep("renegotiation-failed", String(e), true);
      }
    };
    // The camera's tracks go to the senders the moment it starts, whether or not the
    // WebSocket is open and the offer out yet: replaceTrack needs no negotiation.
    const attached = camera.then(async (cam) => {
      const v = cam.getVideoTracks()[0];
      if (pc !== conn) {
        v?.stop(); // hung up meanwhile
        throw new Error("hung up before the camera started");
      }
      stream = local;
      if (v) {
        local.addTrack(v);
        await video.sender.replaceTrack(v);
      }
      mark("track-attached");
      void getMicrophone().then(async (a) => {
        if (!a) return;
        if (stream !== local || pc !== conn) {
          a.stop(); // hung up meanwhile
          return;
        }
        local.addTrack(a);
        await audio.sender.replaceTrack(a);
      });
      return local;
    });
    attached.catch(() => undefined); // awaited below

    // The server lists all its candidates in the answer (it gathers nothing later), so the
    // offer goes out at once and our own candidates follow by trickle.
    const offer = await conn.createOffer();
    mark("offer-created");
    await conn.setLocalDescription(offer);
    mark("offer-made");
    watchDtls(conn);

    ws = await signaling;
    browserStep("signaling-open");
    setState("connecting", "connecting");
    const sock = ws;
    early.listen(sock, (text) => handleServerMessage(conn, text));
    sock.onclose = () => {
      browserStep("signaling-closed");
      if (serverClosed) serverClosed();
      if (document.body.dataset.state === "connecting") setState("failed", "signaling closed");
    };
    const offerSdp = conn.localDescription?.sdp ?? offer.sdp ?? "";
    // inspect: the server keeps this session's first packets of each kind (a bounded number,
    // for a while after it ends) for the inspector; a server without one ignores it.
    send({ type: "offer", sdp: offerSdp, video: chosenSize(), inspect: true });
    browserStep("offer-sent");
    renderSdp(ui.offer, offerSdp);
    counters.start();

    const s = await attached;
    previewSoon(s);
    const settings = s.getVideoTracks()[0]?.getSettings();
    browserStep("camera", settings ? `${settings.width}x${settings.height}` : undefined);
  } catch (e) {
    browserStep("error", String(e), true);
    setState("failed", String(e));
    counters.stop();
    cleanup();
    void signaling.then((sock) => sock.close()).catch(() => undefined);
  }
}

function cleanup(): void {
  if (pc) {
    pc.onconnectionstatechange = null;
    pc.close();
    pc = null;
  }
  if (ws) {
    ws.onclose = null;
    ws.close();
    ws = null;
  }
  if (stream) {
    for (const t of stream.getTracks()) t.stop();
    stream = null;
  }
  ui.preview.srcObject = null;
}

// How long hang-up waits for the server's closing steps before it closes anyway.
const CLOSE_WAIT_MS = 5000;

// Hang up: say bye and stop the camera, but keep the peer connection and the WebSocket until
// the server's closing steps arrive (bye, each track's totals, closed), so that the journey
// shows the end from both sides; then close and show the session's summary.
async function hangUp(): Promise<void> {
  if (!ws || ws.readyState !== WebSocket.OPEN) {
    cleanup();
    setState("closed");
    counters.stop();
    return;
  }
  setState("closing", "closing");
  const closed = new Promise<void>((resolve) => {
    serverClosed = resolve;
    setTimeout(resolve, CLOSE_WAIT_MS);
  });
  send({ type: "bye" });
  browserStep("hang-up");
  if (stream) for (const t of stream.getTracks()) t.stop();
  await closed;
  serverClosed = null;
  counters.stop();
  cleanup();
  setState("closed");
  await showSummary(ui.summary, session);
}

ui.connect.addEventListener("click", () => void connect());
ui.hangup.addEventListener("click", () => void hangUp());
ui.snapshot.addEventListener("click", () => {
  send({ type: "snapshot" });
  browserStep("snapshot-requested");
});
window.addEventListener("beforeunload", () => send({ type: "bye" }));

const params = new URLSearchParams(location.search);
const asked = params.get("resolution");
if (asked && /^\d+x\d+$/.test(asked)) {
  if (![...ui.resolution.options].some((o) => o.value === asked)) ui.resolution.add(new Option(asked, asked));
  ui.resolution.value = asked;
}
// A chapter link opens its section beside the journey; a new tab still gets the chapter.
document.addEventListener("click", (ev) => {
  const a = (ev.target as HTMLElement | null)?.closest?.("a.chapter") as HTMLAnchorElement | null;
  if (!a || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
  ev.preventDefault();
  void openChapter(ui.chapter, a.getAttribute("href") ?? "");
});
byId<HTMLButtonElement>("chapter-close").addEventListener("click", () => (ui.chapter.hidden = true));

setState("idle");
if (params.get("autostart") === "1") {
  void connect();
  // Up to 24 earlier JPEGs to fetch, decode and lay out: not while the journey starts.
  restoreLater = () => {
    restoreLater = null;
    void restoreGallery();
  };
  setTimeout(() => restoreLater?.(), RESTORE_WAIT_MS);
} else {
  void restoreGallery();
}
