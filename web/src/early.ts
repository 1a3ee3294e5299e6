// The first script the page runs: a classic script, the first thing in <head> of index.html,
// so it runs as soon as the document's first bytes are parsed, before anything else is
// fetched (an async module ran 150 to 300 ms later than this, after the document was parsed).
// With ?autostart=1 the camera's start, the signaling WebSocket's opening, the ICE servers'
// fetch and the DTLS certificate's generation are the journey's first waits and none needs the
// page, so all begin here, at once; call.ts, the next script, goes on with the call from them
// (boltrtcStart.take()) and then loads the page's modules (loadPage()). Without autostart they
// begin on Connect (app.ts calls boltrtcStart.begin()).
//
// The camera is asked for video alone: a request with the microphone too waits for both
// devices, and the browser handles one getUserMedia at a time, so call.ts asks for the
// microphone after the camera.
//
// A script, not a module (it has no import or export): what it shares is on window, and its
// types below are global.

// What a call begins with, all at once.
interface BoltrtcStart {
  startedAt: number; // performance.now() at the start: the journey's zero
  size: { width: number; height: number } | undefined; // the camera's size as asked, if any
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
  // What began before the page was ready, once.
  take(): BoltrtcStart | null;
  loadPage(): void; // shows the page and loads its modules (app.js and its imports)
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

  // The camera's size as asked (WxH: the page's select, or ?resolution=WxH), told to the server
  // with the offer so that the answer's start bitrate and ceiling fit it; the camera as it is
  // has no size before it starts, and the server then learns it from the first keyframe.
  const sizeOf = (choice: string | null): { width: number; height: number } | undefined => {
    const m = /^(\d+)x(\d+)$/.exec(choice ?? "");
    return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
  };

  // The camera as it is by default: its own size, not scaled or cropped to what we ask
  // (resizeMode "none"), so a 1080p webcam gives 1080p keyframes. A size asked for has the
  // browser scale instead.
  const videoConstraints = (size: { width: number; height: number } | undefined): MediaTrackConstraints =>
    (size ? { width: { ideal: size.width }, height: { ideal: size.height }, resizeMode: "crop-and-scale" }
      : { resizeMode: "none" }) as unknown as MediaTrackConstraints;

  // A server started with --token wants one on /ws and /api/ice-servers; browsers cannot set
  // headers on a WebSocket, so the page passes on the token it was opened with (/?token=...).
  const tokenQuery = (): string => {
    const token = new URLSearchParams(location.search).get("token");
    return token ? `?token=${encodeURIComponent(token)}` : "";
  };

  const openSignaling = (): Promise<WebSocket> => {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const sock = new WebSocket(`${proto}//${location.host}/ws${tokenQuery()}`);
    return new Promise((resolve, reject) => {
      sock.onopen = () => {
        mark("ws-open");
        resolve(sock);
      };
      sock.onerror = () => reject(new Error("signaling WebSocket failed"));
    });
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
    const startedAt = performance.now();
    const size = sizeOf(choice);
    mark("connect");
    mark("camera-asked");
    const camera = navigator.mediaDevices
      .getUserMedia({ video: videoConstraints(size), audio: false })
      .then((s) => {
        mark("camera-ready");
        return s;
      });
    const s: BoltrtcStart = {
      startedAt,
      size,
      camera,
      signaling: openSignaling(),
      iceServers: fetchIceServers(),
      // The pc's DTLS certificate (ECDSA P-256, what the pc would make itself), made now
      // rather than when the pc is; without it the pc makes its own.
      certificate: RTCPeerConnection.generateCertificate({ name: "ECDSA", namedCurve: "P-256" } as EcKeyGenParams)
        .catch(() => undefined),
    };
    s.camera.catch(() => undefined); // failures are the call's
    s.signaling.catch(() => undefined);
    return s;
  };

  // With autostart the page is not laid out while its call starts (style.css: html[data-starting]
  // hides the body): getUserMedia resolves only after several tasks on this main thread (the
  // camera's source made and started, its track made, its photo settings asked of the browser),
  // and styling and laying the page out, 60 to 90 ms here, came between them; later it took
  // the CPU from the encoder, made on the first frame after the answer. Shown with its modules
  // (loadPage, once call.ts has the first keyframe saved), or after SHOW_WAIT_MS at the latest
  // (a browser asking the user for the camera, a slow first keyframe).
  const SHOW_WAIT_MS = 600;
  const show = (): void => {
    if (!document.documentElement.hasAttribute("data-starting")) return;
    document.documentElement.removeAttribute("data-starting");
    mark("page-shown");
  };

  // The page's modules, once the document is parsed (a module added by a script runs as soon
  // as it is fetched, and app.ts needs the page's elements).
  const loadPage = (): void => {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", loadPage, { once: true });
      return;
    }
    show();
    mark("page-asked");
    for (const name of ["journey", "steps", "live", "sdp", "chapter"]) {
      const link = document.createElement("link");
      link.rel = "modulepreload";
      link.href = `/${name}.js`; // app.js's imports, fetched beside it
      document.head.append(link);
    }
    const script = document.createElement("script");
    script.type = "module";
    script.src = "/app.js";
    document.head.append(script);
  };

  let early: BoltrtcStart | null = null;
  window.boltrtcStart = {
    timeline, mark, begin, loadPage,
    take: () => {
      const s = early;
      early = null;
      return s;
    },
  };
  const params = new URLSearchParams(location.search);
  if (params.get("autostart") === "1") {
    mark("early");
    document.documentElement.setAttribute("data-starting", "");
    setTimeout(show, SHOW_WAIT_MS);
    early = begin(params.get("resolution"));
  }
})();
