// The call: the peer connection, its offer and answer over the signaling WebSocket (/ws), and
// trickle. A classic script loaded right after early.ts: with ?autostart=1 it goes on at once
// with what early.ts began (camera, socket, ICE servers, certificate), and shows the page and
// loads its modules once the offer is out, the camera's track is on its sender, the answer is
// applied and the first keyframe's JPEG is saved (at most SAVED_WAIT_MS after the answer), so
// that nothing on the way to the first keyframe waits for them or shares the CPU with them:
// the modules evaluated and laid out on the renderer's main thread held the camera's start
// back by 250 to 450 ms, then the answer by about 100 ms, then the encoder, made on the first
// frame after the answer (docs/benchmarks.md).
// app.ts takes the live call over when it runs (boltrtcCall.take()) and shows the steps that
// already happened, each at its own time (listen()). Without autostart the modules load at
// once and app.ts starts a call on Connect.
//
// No import or export: a script, whose types below are global.

// One of the browser's own steps of the journey, or a message from the server.
interface BoltrtcEvent {
  at: number; // performance.now() when it happened
  step?: { name: string; detail?: string; isError: boolean };
  message?: { type: string };
}

interface BoltrtcCall {
  startedAt: number; // performance.now() at the start: the journey's zero
  pc: RTCPeerConnection | null; // once made
  local: MediaStream; // the camera's track (and the microphone's), added as they come
  // Settles once the offer is out, the camera's track is on its sender and the answer is applied
  // (or ANSWER_WAIT_MS after the rest, or the call failed).
  underway: Promise<void>;
  // Settles when the server says it saved the call's first keyframe (or the call failed).
  saved: Promise<void>;
  listen(handler: (e: BoltrtcEvent) => void): void; // the events so far, then each as it comes
  open(): boolean; // the signaling socket is open
  send(msg: object): void;
  close(): void; // the pc, the socket and the tracks
}

interface Window {
  boltrtcCall: {
    start(begun: BoltrtcStart): BoltrtcCall;
    take(): BoltrtcCall | null; // the call begun with ?autostart=1, once
  };
  boltrtcPeerConnection?: RTCPeerConnection; // tests read getStats() from it
}

(() => {
  // A keyframe catcher wants every pixel: ask the encoder to keep the resolution and give up
  // frame rate instead when bandwidth or CPU is short (libwebrtc otherwise sends a 720p camera
  // at 540p on a busy machine). Not contentHint "detail": it says the same but also switches
  // libwebrtc to its screen-content settings, and the first 640x480 keyframe fell from 37 to
  // 28 dB.
  const keepResolution = async (sender: RTCRtpSender): Promise<void> => {
    try {
      const p = sender.getParameters() as RTCRtpSendParameters & { degradationPreference?: string };
      p.degradationPreference = "maintain-resolution";
      await sender.setParameters(p);
    } catch {
      // Not every browser takes it; the picture then only may come smaller.
    }
  };

  // VP8 first (the server decodes VP8 keyframes), keeping RTX so NACK repairs work.
  const preferVp8 = (transceiver: RTCRtpTransceiver): string | undefined => {
    const caps = RTCRtpSender.getCapabilities("video");
    if (!caps || typeof transceiver.setCodecPreferences !== "function") return undefined;
    const vp8 = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/vp8");
    const rtx = caps.codecs.filter((c) => c.mimeType.toLowerCase() === "video/rtx");
    if (vp8.length === 0) return undefined;
    try {
      transceiver.setCodecPreferences([...vp8, ...rtx]);
      return undefined;
    } catch (e) {
      return String(e);
    }
  };

  // The microphone, asked for once the first keyframe is saved (or SAVED_WAIT_MS after the
  // camera's track is on its sender): a second getUserMedia, the audio device's thread and the Opus encoder
  // took the main thread and the CPU just while the video encoder was being made for the first
  // frame. None if there is none or it is refused: video alone is what matters.
  const getMicrophone = async (): Promise<MediaStreamTrack | undefined> => {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
      return s.getAudioTracks()[0];
    } catch {
      return undefined;
    }
  };

  // The transport's line of the stats: the selected pair and DTLS's ciphers.
  const transportStats = async (pc: RTCPeerConnection): Promise<{ t?: RTCTransportStats; stats?: RTCStatsReport }> => {
    try {
      const stats = await pc.getStats();
      let t: RTCTransportStats | undefined;
      stats.forEach((s) => {
        if (s.type === "transport") t = s as RTCTransportStats;
      });
      return { t, stats };
    } catch {
      return {}; // stats are informative only
    }
  };

  const mark = window.boltrtcStart.mark;

  // How long the page's modules wait for the answer once the rest of the call is under way (a
  // server that does not answer must not leave the page without its script).
  const ANSWER_WAIT_MS = 1000;
  // How long the page's modules (and the microphone) wait for the first keyframe's JPEG.
  const SAVED_WAIT_MS = 1500;
  const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

  const start = (begun: BoltrtcStart): BoltrtcCall => {
    const events: BoltrtcEvent[] = [];
    let handler: ((e: BoltrtcEvent) => void) | null = null;
    const emit = (e: BoltrtcEvent): void => (handler ? handler(e) : void events.push(e));
    const step = (name: string, detail?: string, isError = false): void => {
      if (closed) return;
      mark(name);
      emit({ at: performance.now(), step: { name, detail, isError } });
    };
    let ws: WebSocket | null = null;
    let closed = false;
    // The server trickles its candidates (RFC 8838) as its pc gathers them, "" ending them.
    // They may come before its answer: held until the answer is applied.
    let heldCandidates: RTCIceCandidateInit[] | null = [];
    const local = new MediaStream();
    // Settled when the answer is applied or refused, or signaling closes.
    let answerSettled = (): void => undefined;
    const answered = new Promise<void>((resolve) => (answerSettled = resolve));
    let savedSettled = (): void => undefined;

    const call: BoltrtcCall = {
      startedAt: begun.startedAt,
      pc: null,
      local,
      underway: Promise.resolve(),
      saved: new Promise<void>((resolve) => (savedSettled = resolve)),
      listen: (h) => {
        handler = h;
        for (const e of events.splice(0)) h(e);
      },
      open: () => ws !== null && ws.readyState === WebSocket.OPEN,
      send: (msg) => {
        if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
      },
      close: () => {
        closed = true;
        if (call.pc) {
          call.pc.onconnectionstatechange = null;
          call.pc.close();
        }
        if (ws) {
          ws.onclose = null;
          ws.close();
        }
        for (const t of local.getTracks()) t.stop();
      },
    };
    begun.camera.then((cam) => { if (closed) for (const t of cam.getTracks()) t.stop(); }, () => undefined);
    // Listened to from its opening on (a message event cannot come before the open's).
    begun.signaling.then((sock) => {
      if (closed) return sock.close();
      ws = sock;
      sock.onmessage = (ev) => {
        if (typeof ev.data === "string") receive(ev.data);
      };
      sock.onclose = () => {
        answerSettled();
        savedSettled();
        step("signaling-closed");
      };
    }, () => undefined);

    const addCandidate = (pc: RTCPeerConnection, c: RTCIceCandidateInit): void => {
      if (heldCandidates) heldCandidates.push(c);
      else pc.addIceCandidate(c).catch((e) => step("candidate-rejected", String(e)));
    };

    // The DTLS transport exists once a local description is set; watch it from then on. The
    // senders are offered before the camera's track arrives, so look on any sender: with
    // max-bundle they all share one.
    const watchDtls = (pc: RTCPeerConnection): void => {
      const dtls = pc.getSenders().find((s) => s.transport)?.transport;
      if (!dtls || dtls.onstatechange) return;
      dtls.onstatechange = () => {
        const state = dtls.state;
        if (state !== "connected") return step(`dtls-${state}`, undefined, state === "failed");
        void transportStats(pc).then(({ t }) =>
          step("dtls-connected", t?.dtlsCipher ? `${t.dtlsCipher} srtp ${t.srtpCipher ?? "?"}` : undefined));
      };
    };

    const reportSelectedPair = async (pc: RTCPeerConnection): Promise<void> => {
      const { t, stats } = await transportStats(pc);
      const pair = t?.selectedCandidatePairId ? stats?.get(t.selectedCandidatePairId) : undefined;
      const localC = pair && stats?.get(pair.localCandidateId);
      const remoteC = pair && stats?.get(pair.remoteCandidateId);
      if (localC && remoteC) {
        step("selected-pair", `${localC.address}:${localC.port} -> ${remoteC.address}:${remoteC.port} ${remoteC.protocol}`);
      }
    };

    const watch = (pc: RTCPeerConnection): void => {
      pc.onicegatheringstatechange = () => step(`gathering-${pc.iceGatheringState}`);
      pc.onicecandidate = (ev) => {
        if (ev.candidate && ev.candidate.candidate) {
          step("candidate", ev.candidate.candidate.split(" ").slice(4, 8).join(" "));
          call.send({ type: "candidate", candidate: ev.candidate.candidate, sdpMid: ev.candidate.sdpMid ?? "0" });
        } else {
          call.send({ type: "candidate", candidate: "" });
        }
      };
      pc.oniceconnectionstatechange = () => step(`ice-${pc.iceConnectionState}`, undefined, pc.iceConnectionState === "failed");
      pc.onconnectionstatechange = () => {
        const s = pc.connectionState;
        step(`connection-${s}`, undefined, s === "failed");
        if (s === "connected") void reportSelectedPair(pc);
      };
      // A later negotiation on the live call (restartIce(), after a network change): the new
      // offer goes over the same WebSocket and the server answers it on the same session
      // (JSEP 5.2.2). The first offer is sent by run(); this is for the ones after its answer.
      pc.onnegotiationneeded = async () => {
        if (!pc.currentRemoteDescription || pc.signalingState !== "stable") return;
        try {
          await pc.setLocalDescription(await pc.createOffer());
          call.send({ type: "offer", sdp: pc.localDescription?.sdp ?? "" });
          step("offer-sent", "a later offer (ICE restart or renegotiation)");
        } catch (e) {
          step("renegotiation-failed", String(e), true);
        }
      };
    };

    const receive = (raw: string): void => {
      let msg: { type: string; sdp?: string; candidate?: string; sdpMid?: string };
      try {
        msg = JSON.parse(raw);
      } catch {
        return step("bad-server-message", raw.slice(0, 80), true);
      }
      const pc = call.pc;
      if (msg.type === "answer" && pc) {
        step("answer-received");
        // Applied as is: the server's answer already sets the VP8 start bitrate, it sends REMB.
        pc.setRemoteDescription({ type: "answer", sdp: msg.sdp ?? "" }).then(() => {
          step("answer-applied");
          const held = heldCandidates ?? [];
          heldCandidates = null;
          for (const c of held) addCandidate(pc, c);
          watchDtls(pc);
          answerSettled();
        }, (e) => {
          answerSettled();
          savedSettled();
          step("answer-rejected", String(e), true);
        });
      } else if (msg.type === "keyframe") {
        savedSettled();
      } else if (msg.type === "candidate" && pc) {
        addCandidate(pc, { candidate: msg.candidate ?? "", sdpMid: msg.sdpMid ?? "0" });
        return;
      }
      if (!closed) emit({ at: performance.now(), message: msg });
    };

    // Offered with empty senders, an audio one included, while the camera warms up, so ICE and
    // DTLS are done by the time its first frame arrives (replaceTrack then needs no
    // renegotiation); the camera's track goes to its sender the moment it starts.
    const run = async (): Promise<void> => {
      // ?relay=1 sends everything through the server's TURN relay (iceTransportPolicy
      // "relay"), as a network that lets no UDP through to the server would.
      const iceServers = await begun.iceServers;
      mark("ice-servers");
      const relay = new URLSearchParams(location.search).get("relay") === "1";
      if (relay && !iceServers.some((s) => [s.urls].flat().some((u) => u.startsWith("turn")))) {
        throw new Error("?relay=1, but the server hands out no TURN server (serve --turn-listen)");
      }
      const certificate = await begun.certificate;
      if (closed) return;
      const pc = new RTCPeerConnection({
        ...(certificate ? { certificates: [certificate] } : {}),
        iceServers,
        iceTransportPolicy: relay ? "relay" : "all",
        bundlePolicy: "max-bundle",
      });
      call.pc = pc;
      window.boltrtcPeerConnection = pc;
      // One stream for both senders from the offer on: the tracks are added to it as they
      // come, so their msid never changes (setStreams later would ask for a second negotiation).
      const video = pc.addTransceiver("video", { direction: "sendonly", streams: [local] });
      const failed = preferVp8(video);
      if (failed) step("codec-preferences-failed", failed, true);
      void keepResolution(video.sender);
      const audio = pc.addTransceiver("audio", { direction: "sendonly", streams: [local] });
      watch(pc);
      const attached = begun.camera.then(async (cam) => {
        const v = cam.getVideoTracks()[0];
        if (closed) throw new Error("hung up before the camera started");
        if (v) {
          local.addTrack(v);
          await video.sender.replaceTrack(v);
        }
        mark("track-attached");
        void Promise.race([call.saved, delay(SAVED_WAIT_MS)]).then(getMicrophone).then(async (a) => {
          if (!a || closed) return a?.stop();
          local.addTrack(a);
          await audio.sender.replaceTrack(a);
        });
      });
      attached.catch(() => undefined); // awaited below

      // The server lists all its candidates in the answer, so the offer goes out at once and
      // our own candidates follow by trickle.
      const offer = await pc.createOffer();
      mark("offer-created");
      await pc.setLocalDescription(offer);
      mark("offer-made");
      watchDtls(pc);

      await begun.signaling;
      if (closed) return;
      step("signaling-open");
      // inspect: the server keeps this session's first packets of each kind (a bounded
      // number, for a while after it ends) for the inspector; a server without one ignores it.
      call.send({ type: "offer", sdp: pc.localDescription?.sdp ?? offer.sdp ?? "", video: begun.size, inspect: true });
      step("offer-sent");

      await attached;
      const settings = local.getVideoTracks()[0]?.getSettings();
      step("camera", settings ? `${settings.width}x${settings.height}` : undefined);
      await Promise.race([answered, delay(ANSWER_WAIT_MS)]);
    };

    call.underway = run().catch((e) => {
      step("error", String(e), true);
      savedSettled();
      call.close();
    });
    addEventListener("beforeunload", () => call.send({ type: "bye" }));
    return call;
  };

  let early: BoltrtcCall | null = null;
  window.boltrtcCall = {
    start,
    take: () => {
      const c = early;
      early = null;
      return c;
    },
  };
  // With ?autostart=1 early.ts has begun: the call goes on from there, and the page is shown
  // and its modules load once the call is under way and its first keyframe saved.
  const begun = window.boltrtcStart.take();
  if (begun) {
    early = start(begun);
    const call = early;
    void call.underway
      .then(() => Promise.race([call.saved, delay(SAVED_WAIT_MS)]))
      .then(window.boltrtcStart.loadPage);
  } else {
    window.boltrtcStart.loadPage();
  }
})();
