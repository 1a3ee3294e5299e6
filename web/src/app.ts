// The boltrtc page: shows the call that call.ts makes (the camera to the server over WebRTC,
// with signaling on a WebSocket, /ws) and teaches the journey as it happens: both sides' steps
// on one time base (journey.ts), what each step is (steps.ts), the SDP (sdp.ts), the chapters
// (chapter.ts) and the server's counters (live.ts). With ?autostart=1 the call began before
// this module was loaded (early.ts): its steps so far are shown at their own times.
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
  | { type: "candidate" } // call.ts's
  | { type: "error"; message: string };

// early.ts, the page's first script, keeps the timeline and begins what a call waits for longest.
const early = window.boltrtcStart;
const mark = early.mark;
mark("page");

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

let call: BoltrtcCall | null = null;
let stream: MediaStream | null = null; // the call's, once its camera has started
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

// at: when it happened (performance.now()), for the steps call.ts took before this module ran.
function browserStep(name: string, detail?: string, isError = false, at = performance.now()): void {
  mark(name);
  const key = `${name}|${detail ?? ""}`;
  if (!REPEATED.has(name)) {
    if (shownSteps.has(key)) return;
    shownSteps.add(key);
  }
  journey.browser(name, at - (call?.startedAt ?? at), detail, isError);
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
  call?.send(msg);
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
  mark(`keyframe-${keyframes}`); // shown now (it may have come before this module ran)
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

// What call.ts tells of the call (its own steps and the server's messages) shown as it
// happened, and the page's state and views that follow from it.
function onCallEvent(e: BoltrtcEvent): void {
  if (e.step) onCallStep(e.step.name, e.step.detail, e.step.isError, e.at);
  else if (e.message) onServerMessage(e.message as ServerMessage, e.at);
}

function onCallStep(name: string, detail: string | undefined, isError: boolean, at: number): void {
  browserStep(name, detail, isError, at);
  const state = document.body.dataset.state;
  switch (name) {
    case "signaling-open":
      setState("connecting", "connecting");
      break;
    case "offer-sent":
      if (detail) break; // a later offer
      renderSdp(ui.offer, call?.pc?.localDescription?.sdp ?? "");
      counters.start();
      break;
    case "camera":
      stream = call?.local ?? null;
      if (stream) previewSoon(stream);
      break;
    case "signaling-closed":
      if (serverClosed) serverClosed();
      if (state === "connecting") setState("failed", "signaling closed");
      break;
    case "answer-rejected":
      setState("failed", "answer rejected");
      break;
    case "error":
      setState("failed", detail);
      counters.stop();
      cleanup();
      break;
  }
  // While hanging up the server closes first (close_notify): that is the end we wait for.
  if (!name.startsWith("connection-") || state === "closing") return;
  if (name === "connection-connected") {
    setState("connected", "connected");
  } else if (name === "connection-failed") {
    setState("failed", "connection failed");
    counters.stop();
  } else if (name === "connection-closed" && state !== "failed") {
    setState("closed");
  }
}

function onServerMessage(msg: ServerMessage, at: number): void {
  const recv = at - (call?.startedAt ?? at);
  switch (msg.type) {
    case "answer":
      renderSdp(ui.answer, msg.sdp);
      showInspector(msg.inspect);
      break;
    case "step":
      early.timeline[`server-${msg.step}`] ??= performance.timeOrigin + at;
      setSession(msg.session);
      journey.server(msg.step, msg.t_ms, recv, msg.detail, msg.step === "failed");
      if ((msg.step === "closed" || msg.step === "failed") && serverClosed) serverClosed();
      break;
    case "keyframe":
      addKeyframe(msg);
      serverHasKeyframe = true;
      restoreLater?.();
      if (stream) showPreview(stream);
      break;
    case "error":
      journey.server("error", Math.max(0, recv - journey.serverToPage(0)), undefined, msg.message, true);
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

// Shows a call: the one early.ts began with ?autostart=1, or one begun now (Connect); its steps
// so far first, each at its own time.
function connect(begun?: BoltrtcCall): void {
  serverHasKeyframe = false;
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
  call = begun ?? window.boltrtcCall.start(early.begin(ui.resolution.value));
  call.listen(onCallEvent);
}

function cleanup(): void {
  call?.close();
  stream = null;
  ui.preview.srcObject = null;
}

// How long hang-up waits for the server's closing steps before it closes anyway.
const CLOSE_WAIT_MS = 5000;

// Hang up: say bye and stop the camera, but keep the peer connection and the WebSocket until
// the server's closing steps arrive (bye, each track's totals, closed), so that the journey
// shows the end from both sides; then close and show the session's summary.
async function hangUp(): Promise<void> {
  if (!call?.open()) {
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
  for (const t of call.local.getTracks()) t.stop();
  await closed;
  serverClosed = null;
  counters.stop();
  cleanup();
  setState("closed");
  await showSummary(ui.summary, session);
}

ui.connect.addEventListener("click", () => connect());
ui.hangup.addEventListener("click", () => void hangUp());
ui.snapshot.addEventListener("click", () => {
  send({ type: "snapshot" });
  browserStep("snapshot-requested");
});

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
const begun = window.boltrtcCall.take();
if (begun) {
  connect(begun);
  // Up to 24 earlier JPEGs to fetch, decode and lay out: not while the journey starts.
  restoreLater = () => {
    restoreLater = null;
    void restoreGallery();
  };
  setTimeout(() => restoreLater?.(), RESTORE_WAIT_MS);
} else {
  void restoreGallery();
}
