// The first script the page runs: a classic script, the first thing in <head> of index.html,
// so it runs as soon as the document's first bytes are parsed, before the stylesheet and the
// page's modules are fetched (an async module ran 150 to 300 ms later than this, after the
// document was parsed). With ?autostart=1 the camera's start, the signaling WebSocket's
// opening, the ICE servers' fetch and the DTLS certificate's generation are the journey's
// first waits and none needs the page, so all begin here, at once; app.ts takes them over
// when it is ready (boltrtcStart.take()). Without autostart they begin on Connect (app.ts calls
// boltrtcStart.begin()).
//
// The camera is asked for video alone: a request with the microphone too waits for both
// devices, and the browser handles one getUserMedia at a time, so app.ts asks for the
// microphone after the camera.
//
// A script, not a module (it has no import or export): what it shares is on window, and its
// types below are global.

interface BoltrtcStart {
  camera: Promise<MediaStream>;
  signaling: Promise<WebSocket>;
  iceServers: Promise<RTCIceServer[]>;
  certificate: Promise<RTCCertificate | undefined>;
}

interface BoltrtcEarly {
  // When each step first happened, in ms since the epoch on the page's clock (the journey
  // benchmark lines them up with the server's log); "navigation" is the page's own start.
  timeline: Record<string, number>;
  mark(name: string): void;
  // Camera (size choice: "native" or WxH), WebSocket, ICE servers and certificate, at once.
  begin(choice: string | null): BoltrtcStart;
  // What began before the page was ready, once (a later Connect begins afresh).
  take(): BoltrtcStart | null;
  // The socket's text messages to handler from now on, those that came before first.
  listen(sock: WebSocket, handler: (text: string) => void): void;
  videoConstraints(choice: string | null): MediaTrackConstraints;
  tokenQuery(): string;
}

interface Window {
  boltrtcTimeline: Record<string, number>;
  boltrtcStart: BoltrtcEarly;
}

(() => {
  const timeline: Record<string, number> = { navigation: performance.timeOrigin };
  window.boltrtcTimeline = timeline;
  const mark = (name: string): void => {
    if (!(name in timeline)) timeline[name] = performance.timeOrigin + performance.now();
  };

  // The camera as it is by default: its own size, not scaled or cropped to what we ask
  // (resizeMode "none"), so a 1080p webcam gives 1080p keyframes. A choice of WxH (the page's
  // select, or ?resolution=WxH) asks the browser to scale instead.
  const videoConstraints = (choice: string | null): MediaTrackConstraints => {
    const m = /^(\d+)x(\d+)$/.exec(choice ?? "");
    if (!m) return { resizeMode: "none" } as MediaTrackConstraints;
    return {
      width: { ideal: Number(m[1]) },
      height: { ideal: Number(m[2]) },
      resizeMode: "crop-and-scale",
    } as MediaTrackConstraints;
  };

  // A server started with --token wants one on /ws and /api/ice-servers; browsers cannot set
  // headers on a WebSocket, so the page passes on the token it was opened with (/?token=...).
  const tokenQuery = (): string => {
    const token = new URLSearchParams(location.search).get("token");
    return token ? `?token=${encodeURIComponent(token)}` : "";
  };

  // Messages that came before the page listened (the socket may open before app.ts runs).
  const held = new WeakMap<WebSocket, string[]>();

  const openSignaling = (): Promise<WebSocket> => {
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
  };

  const listen = (sock: WebSocket, handler: (text: string) => void): void => {
    const early = held.get(sock) ?? [];
    held.delete(sock);
    sock.onmessage = (ev) => {
      if (typeof ev.data === "string") handler(ev.data);
    };
    for (const text of early) handler(text);
  };

  // The STUN and TURN servers the server hands its pages (GET /api/ice-servers, with TURN
  // credentials minted for this load); none if it has none or the request fails, since a
  // server on a public address needs none (its host candidate is in the answer).
  const fetchIceServers = async (): Promise<RTCIceServer[]> => {
    try {
      const r = await fetch(`/api/ice-servers${tokenQuery()}`, { cache: "no-store" });
      if (!r.ok) return [];
      const j = (await r.json()) as { iceServers?: RTCIceServer[] };
      return Array.isArray(j.iceServers) ? j.iceServers : [];
    } catch {
      return [];
    }
  };

  const begin = (choice: string | null): BoltrtcStart => {
    mark("camera-asked");
    const camera = navigator.mediaDevices
      .getUserMedia({ video: videoConstraints(choice), audio: false })
      .then((s) => {
        mark("camera-ready");
        return s;
      });
    const s: BoltrtcStart = {
      camera,
      signaling: openSignaling(),
      iceServers: fetchIceServers(),
      // The pc's DTLS certificate (ECDSA P-256, what the pc would make itself), made now
      // rather than when the pc is; without it the pc makes its own.
      certificate: RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" } as EcKeyGenParams)
        .catch(() => undefined),
    };
    s.camera.catch(() => undefined); // failures are the taker's
    s.signaling.catch(() => undefined);
    return s;
  };

  let early: BoltrtcStart | null = null;
  window.boltrtcStart = {
    timeline, mark, begin, listen, videoConstraints, tokenQuery,
    take: () => {
      const s = early;
      early = null;
      return s;
    },
  };
  const params = new URLSearchParams(location.search);
  if (params.get("autostart") === "1") {
    mark("early");
    early = begin(params.get("resolution"));
  }
})();
