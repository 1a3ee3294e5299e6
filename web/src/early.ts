// The first script the page runs (index.html loads it as an async module in <head>, before the
// stylesheet and the page's other modules): with ?autostart=1 the camera's start and the
// signaling WebSocket's opening are the longest waits of the journey and neither needs the
// page, so both begin here, at once, and app.ts takes them over when it is ready
// (takeEarlyStart). Without autostart they begin on Connect (app.ts calls the same functions).
//
// The camera is asked for video alone: a request with the microphone too waits for both
// devices (the audio capture's start added 300 to 700 ms to Chromium's getUserMedia here), and
// the browser handles one getUserMedia at a time, so the microphone is asked for after the
// camera (app.ts).

// When each step first happened, in ms since the epoch on the page's clock (the journey
// benchmark lines them up with the server's log); "navigation" is the page's own start.
declare global {
  interface Window {
    boltrtcTimeline: Record<string, number>;
  }
}
window.boltrtcTimeline = window.boltrtcTimeline ?? { navigation: performance.timeOrigin };

export function mark(name: string): void {
  const t = window.boltrtcTimeline;
  if (!(name in t)) t[name] = performance.timeOrigin + performance.now();
}

// The camera as it is by default: its own size, not scaled or cropped to what we ask
// (resizeMode "none"), so a 1080p webcam gives 1080p keyframes. A choice of WxH (the page's
// select, or ?resolution=WxH) asks the browser to scale instead.
export function videoConstraints(choice: string | null): MediaTrackConstraints {
  const m = /^(\d+)x(\d+)$/.exec(choice ?? "");
  if (!m) return { resizeMode: "none" } as MediaTrackConstraints;
  return {
    width: { ideal: Number(m[1]) },
    height: { ideal: Number(m[2]) },
    resizeMode: "crop-and-scale",
  } as MediaTrackConstraints;
}

export function startCamera(choice: string | null): Promise<MediaStream> {
  mark("camera-asked");
  return navigator.mediaDevices.getUserMedia({ video: videoConstraints(choice), audio: false }).then((s) => {
    mark("camera-ready");
    return s;
  });
}

// A server started with --token wants one on /ws and /api/ice-servers; browsers cannot set
// headers on a WebSocket, so the page passes on the token it was opened with (/?token=...).
export function tokenQuery(): string {
  const token = new URLSearchParams(location.search).get("token");
  return token ? `?token=${encodeURIComponent(token)}` : "";
}

// Messages that came before the page listened (the socket may open long before app.ts runs).
const held = new WeakMap<WebSocket, string[]>();

export function openSignaling(): Promise<WebSocket> {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  const sock = new WebSocket(`${proto}//${location.host}/ws${tokenQuery()}`);
  const early: string[] = [];
  held.set(sock, early);
  sock.onmessage = (ev) => {
    if (typeof ev.data === "string") early.push(ev.data);
  };
  return new Promise((resolve, reject) => {
    sock.onopen = () => {
      mark("ws-open");
      resolve(sock);
    };
    sock.onerror = () => reject(new Error("signaling WebSocket failed"));
  });
}

// The socket's text messages to handler from now on, those held so far first.
export function listen(sock: WebSocket, handler: (text: string) => void): void {
  const early = held.get(sock) ?? [];
  held.delete(sock);
  sock.onmessage = (ev) => {
    if (typeof ev.data === "string") handler(ev.data);
  };
  for (const text of early) handler(text);
}

// The STUN and TURN servers the server hands its pages (GET /api/ice-servers, with TURN
// credentials minted for this load); none if it has none or the request fails, since a
// server on a public address needs none (its host candidate is in the answer).
export async function fetchIceServers(): Promise<RTCIceServer[]> {
  try {
    const r = await fetch(`/api/ice-servers${tokenQuery()}`, { cache: "no-store" });
    if (!r.ok) return [];
    const j = (await r.json()) as { iceServers?: RTCIceServer[] };
    return Array.isArray(j.iceServers) ? j.iceServers : [];
  } catch {
    return [];
  }
}

export interface Start {
  camera: Promise<MediaStream>;
  signaling: Promise<WebSocket>;
  iceServers: Promise<RTCIceServer[]>;
}

// Camera, WebSocket and ICE servers, all asked for at once; failures are left for the taker.
export function begin(choice: string | null): Start {
  const s = { camera: startCamera(choice), signaling: openSignaling(), iceServers: fetchIceServers() };
  s.camera.catch(() => undefined);
  s.signaling.catch(() => undefined);
  return s;
}

let early: Start | null = null;
const params = new URLSearchParams(location.search);
if (params.get("autostart") === "1") {
  mark("early");
  early = begin(params.get("resolution"));
}

// What began before the page was ready, once (a later Connect begins afresh).
export function takeEarlyStart(): Start | null {
  const s = early;
  early = null;
  return s;
}
