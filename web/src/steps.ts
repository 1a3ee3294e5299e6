// What each step of the journey is, for people: a name, one line of why, the chapter section of
// docs/journey that explains it (served by the server under /docs/journey/, so the links work
// offline)
// and the standard's section. The page shows the outline before Connect from PHASES and looks
// every step up in STEPS; app.ts has no text of its own about the protocols.

export interface Link {
  text: string;
  href: string;
}

export interface StepInfo {
  title: string;
  why: string;
  phase: PhaseId;
  chapter: Link;
  rfc: Link;
}

export type PhaseId = "signaling" | "ice" | "dtls" | "srtp" | "rtp" | "vp8" | "jpeg" | "end";

export interface Phase {
  id: PhaseId;
  title: string;
  line: string;
  chapter: Link;
  steps: string; // the steps to expect, in words
}

// The chapters, as the server serves them (http_routes.c route_docs, from docs/journey).
function ch(file: string, anchor: string, text: string): Link {
  return { text, href: `/docs/journey/${file}.md${anchor ? `#${anchor}` : ""}` };
}

function rfc(n: number, section: string): Link {
  return {
    text: `RFC ${n}${section ? ` §${section}` : ""}`,
    href: `https://www.rfc-editor.org/rfc/rfc${n}${section ? `#section-${section}` : ""}`,
  };
}

function w3c(text: string, href: string): Link {
  return { text, href };
}

const SIG = "01-signaling-and-sdp";
const ICE = "02-ice-and-stun";
const DTLS = "03-dtls";
const SRTP = "04-srtp";
const RTP = "05-rtp-and-rtcp";
const VP8 = "06-vp8";
const JPEG = "07-jpeg";
const ALL = "08-the-whole-journey";

export const PHASES: Phase[] = [
  {
    id: "signaling", title: "Signaling and SDP",
    line: "The page and the server trade an SDP offer and answer over a WebSocket: codecs, ICE passwords, certificate fingerprints.",
    chapter: ch(SIG, "", "chapter 1"), steps: "WebSocket open · offer sent · answer received and applied · candidates trickled",
  },
  {
    id: "ice", title: "ICE and STUN",
    line: "The browser sends STUN checks to the server's one UDP port; the answered check proves a path, and a second nominates it.",
    chapter: ch(ICE, "", "chapter 2"), steps: "candidates gathered · first check · ICE connected · pair nominated",
  },
  {
    id: "dtls", title: "DTLS",
    line: "A TLS handshake over UDP on that path; each side checks the other's certificate against the fingerprint in the SDP.",
    chapter: ch(DTLS, "", "chapter 3"), steps: "DTLS connecting · handshake done · peer connection connected",
  },
  {
    id: "srtp", title: "SRTP",
    line: "Keys exported from the handshake encrypt and authenticate every media packet.",
    chapter: ch(SRTP, "", "chapter 4"), steps: "SRTP keyed",
  },
  {
    id: "rtp", title: "RTP and RTCP",
    line: "The camera's packets arrive, one SSRC per stream; the server reports back: receiver reports, PLI, REMB, NACK.",
    chapter: ch(RTP, "", "chapter 5"), steps: "first audio packet · first video packet · live counters",
  },
  {
    id: "vp8", title: "VP8 frames and keyframes",
    line: "Packets become frames; a keyframe can be decoded without any frame before it.",
    chapter: ch(VP8, "", "chapter 6"), steps: "first keyframe · keyframes asked for by PLI (Snapshot, keyframe interval)",
  },
  {
    id: "jpeg", title: "From keyframe to JPEG",
    line: "The server decodes keyframes off the media thread and saves them as JPEG files: the gallery.",
    chapter: ch(JPEG, "", "chapter 7"), steps: "keyframe saved · shown in the gallery",
  },
  {
    id: "end", title: "Hang up",
    line: "A bye on the WebSocket; the server sends RTCP BYE and DTLS close_notify, reports each track, and closes.",
    chapter: ch(ALL, "", "chapter 8"), steps: "bye · tracks counted · closed · summary",
  },
];

function step(phase: PhaseId, title: string, why: string, chapter: Link, standard: Link): StepInfo {
  return { phase, title, why, chapter, rfc: standard };
}

const webrtcStates = w3c("W3C WebRTC §4.4.3", "https://www.w3.org/TR/webrtc/#rtcpeerconnectionstate-enum");
const iceStates = w3c("W3C WebRTC §4.4.4", "https://www.w3.org/TR/webrtc/#rtciceconnectionstate-enum");
const dtlsStates = w3c("W3C WebRTC §5.5", "https://www.w3.org/TR/webrtc/#rtcdtlstransportstate-enum");
const gatheringStates = w3c("W3C WebRTC §4.4.2", "https://www.w3.org/TR/webrtc/#rtcicegatheringstate-enum");

// Keyed "side:name" for a step whose meaning depends on who reports it, else by name alone.
export const STEPS: Record<string, StepInfo> = {
  // Signaling
  "browser:signaling-open": step("signaling", "Signaling WebSocket open",
    "An HTTP request upgraded to a WebSocket: the offer, the answer and every step travel on it.",
    ch(SIG, "a-websocket", "ch. 1 A WebSocket"), rfc(6455, "1.3")),
  "browser:offer-sent": step("signaling", "Offer sent",
    "The browser's SDP offer: what it will send (VP8, Opus), its ICE credentials and its certificate's fingerprint.",
    ch(SIG, "the-offer", "ch. 1 The offer"), rfc(8829, "5.2")),
  "server:offer-received": step("signaling", "Offer received",
    "The server's time base starts here: the session exists from the offer's arrival.",
    ch(SIG, "the-offer", "ch. 1 The offer"), rfc(8829, "5.2")),
  "server:offer": step("signaling", "Offer accepted",
    "The peer connection parsed the offer and kept the sections it can receive.",
    ch(SIG, "the-offer", "ch. 1 The offer"), rfc(3264, "5")),
  "server:answer": step("signaling", "Answer made",
    "recvonly VP8 and Opus, its ICE credentials (full ICE; ice-lite with serve --ice lite), its own fingerprint, a DTLS role, and its one host candidate.",
    ch(SIG, "the-answer", "ch. 1 The answer"), rfc(3264, "6")),
  "server:answer-sent": step("signaling", "Answer sent",
    "The answer goes back on the WebSocket; the server needs no candidates from the browser.",
    ch(SIG, "the-answer", "ch. 1 The answer"), rfc(8829, "5.3")),
  "browser:answer-received": step("signaling", "Answer received",
    "From here the browser knows the server's address, credentials and fingerprint.",
    ch(SIG, "the-answer", "ch. 1 The answer"), rfc(8829, "5.3")),
  "browser:answer-applied": step("signaling", "Answer applied",
    "setRemoteDescription: the browser starts ICE checks toward the server's candidate.",
    ch(SIG, "the-answer", "ch. 1 The answer"), rfc(8829, "5.10")),
  "server:reoffer": step("signaling", "Later offer answered",
    "The browser offered again on the live call (its streams changed, or restartIce() gave new ICE credentials); the server answered on the same session, DTLS and all.",
    ch(SIG, "the-answer", "ch. 1 The answer"), rfc(8829, "5.2.2")),
  "browser:renegotiation-failed": step("signaling", "Later offer failed",
    "The browser could not make or set a later offer.", ch(SIG, "the-offer", "ch. 1 The offer"), rfc(8829, "5.2.2")),
  "browser:candidate-rejected": step("ice", "Server candidate rejected",
    "The browser refused a candidate the server trickled.",
    ch(SIG, "trickled-candidates", "ch. 1 Trickled candidates"), rfc(8838, "4")),
  "browser:gathering-gathering": step("ice", "Gathering candidates",
    "The browser looks for its own addresses to offer (host candidates on loopback here).",
    ch(SIG, "trickled-candidates", "ch. 1 Trickled candidates"), gatheringStates),
  "browser:gathering-complete": step("ice", "Gathering done",
    "Every candidate the browser has is known; an empty candidate tells the server.",
    ch(SIG, "trickled-candidates", "ch. 1 Trickled candidates"), rfc(8838, "4")),
  "browser:gathering-new": step("ice", "Gathering reset",
    "The gathering state went back to new.", ch(SIG, "trickled-candidates", "ch. 1 Trickled candidates"), gatheringStates),
  "browser:candidate": step("ice", "Candidate trickled",
    "One of the browser's addresses, sent after the offer (trickle ICE); the server pairs it and checks it (a lite server only answers checks from it).",
    ch(SIG, "trickled-candidates", "ch. 1 Trickled candidates"), rfc(8839, "5.1")),
  // ICE
  "browser:ice-checking": step("ice", "ICE checking",
    "The browser sends STUN Binding requests, signed with the server's ice-pwd, to its candidate.",
    ch(ICE, "the-first-check", "ch. 2 The first check"), rfc(8445, "7.2")),
  "server:ice-check": step("ice", "First ICE check",
    "The first STUN check that authenticates: the server answers it, checks the browser back at once (a triggered check, RFC 8445 §7.3.1.4) and, as DTLS client, may start the handshake at once.",
    ch(ICE, "the-first-check", "ch. 2 The first check"), rfc(8445, "7.3")),
  "browser:ice-connected": step("ice", "ICE connected (browser)",
    "The browser had an answer to a check: it has a working pair. The page learns it from an event, after the fact.",
    ch(ICE, "nomination-and-why-dtls-does-not-wait-for-it", "ch. 2 Nomination"), iceStates),
  "browser:ice-completed": step("ice", "ICE completed",
    "The browser stopped checking other pairs.", ch(ICE, "nomination-and-why-dtls-does-not-wait-for-it", "ch. 2 Nomination"), iceStates),
  "server:ice-connected": step("ice", "Pair nominated",
    "A check with USE-CANDIDATE: the controlled server takes the pair the controlling browser nominated.",
    ch(ICE, "nomination-and-why-dtls-does-not-wait-for-it", "ch. 2 Nomination"), rfc(8445, "8.2")),
  "browser:selected-pair": step("ice", "Selected pair",
    "The addresses the media uses, from the browser's getStats.",
    ch(ICE, "nomination-and-why-dtls-does-not-wait-for-it", "ch. 2 Nomination"), rfc(8445, "8.1.1")),
  "browser:ice-disconnected": step("ice", "ICE disconnected",
    "Checks or consent stopped being answered.", ch(ICE, "consent-the-checks-keep-coming", "ch. 2 Consent"), rfc(7675, "5.1")),
  "browser:ice-failed": step("ice", "ICE failed",
    "No pair worked.", ch(ICE, "the-first-check", "ch. 2 The first check"), rfc(8445, "7.2.5.2")),
  "browser:ice-closed": step("end", "ICE closed",
    "The browser's ICE agent stopped.", ch(ICE, "consent-the-checks-keep-coming", "ch. 2 Consent"), iceStates),
  // DTLS
  "browser:dtls-connecting": step("dtls", "DTLS connecting",
    "The browser's DTLS transport is in the handshake.", ch(DTLS, "roles-and-flights", "ch. 3 Roles and flights"), dtlsStates),
  "server:dtls-connected": step("dtls", "DTLS handshake done",
    "Certificates exchanged and checked against the SDP fingerprints: the keys are agreed.",
    ch(DTLS, "the-fingerprints", "ch. 3 The fingerprints"), rfc(8122, "5")),
  "browser:dtls-connected": step("dtls", "DTLS connected (browser)",
    "The browser verified the server's certificate against the answer's fingerprint; the cipher is shown.",
    ch(DTLS, "the-fingerprints", "ch. 3 The fingerprints"), rfc(5764, "4.1")),
  "browser:dtls-closed": step("end", "DTLS closed (browser)",
    "A close_notify ended the DTLS session.", ch(DTLS, "after-the-handshake", "ch. 3 After the handshake"), rfc(5246, "7.2.1")),
  "browser:dtls-failed": step("dtls", "DTLS failed",
    "The handshake failed or a certificate did not match its fingerprint.", ch(DTLS, "the-fingerprints", "ch. 3 The fingerprints"), rfc(8122, "5")),
  "browser:connection-connecting": step("dtls", "Connecting",
    "The peer connection waits for both ICE and DTLS.", ch(DTLS, "roles-and-flights", "ch. 3 Roles and flights"), webrtcStates),
  "browser:connection-connected": step("dtls", "Connected",
    "ICE has a pair and DTLS is done: media can flow.", ch(DTLS, "finished-encrypted", "ch. 3 Finished, encrypted"), webrtcStates),
  "browser:connection-disconnected": step("ice", "Disconnected",
    "The transport stopped answering for a while.", ch(ICE, "consent-the-checks-keep-coming", "ch. 2 Consent"), webrtcStates),
  "browser:connection-failed": step("dtls", "Connection failed",
    "ICE or DTLS failed.", ch(ICE, "the-first-check", "ch. 2 The first check"), webrtcStates),
  "browser:connection-closed": step("end", "Connection closed",
    "The peer connection is closed.", ch(ALL, "", "ch. 8"), webrtcStates),
  // SRTP, RTP, VP8, JPEG
  "server:srtp-ready": step("srtp", "SRTP keyed",
    "The DTLS exporter gives the master keys and salts; the server keys its SRTP contexts once.",
    ch(DTLS, "the-exporter-from-the-handshake-to-srtp-keys", "ch. 3 The exporter"), rfc(5764, "4.2")),
  "browser:camera": step("rtp", "Camera started",
    "getUserMedia gave a track; it goes to the sender already negotiated (no new offer needed).",
    ch(ALL, "", "ch. 8"), w3c("W3C Media Capture §9.2", "https://www.w3.org/TR/mediacapture-streams/#dom-mediadevices-getusermedia")),
  "server:first-rtp": step("rtp", "First RTP packet",
    "The first packet of a stream, authenticated and decrypted: its SSRC names the stream from now on.",
    ch(RTP, "the-first-video-packet", "ch. 5 The first video packet"), rfc(3550, "5.1")),
  "server:first-keyframe": step("vp8", "First keyframe",
    "All packets of a frame that decodes alone; the server asked for it with a PLI if it did not come.",
    ch(VP8, "putting-frames-back-together", "ch. 6 Putting frames back together"), rfc(7741, "4.2")),
  "server:keyframe-saved": step("jpeg", "Keyframe saved",
    "Decoded with libvpx and written as a JPEG off the media thread.",
    ch(JPEG, "the-file", "ch. 7 The file"), w3c("ITU-T T.81", "https://www.w3.org/Graphics/JPEG/itu-t81.pdf")),
  "browser:keyframe-shown": step("jpeg", "Keyframe in the gallery",
    "The server's keyframe message: the page shows the JPEG.", ch(JPEG, "the-file", "ch. 7 The file"), rfc(6455, "5.6")),
  "server:keyframe-requested": step("vp8", "Keyframe asked for",
    "A PLI asks the browser's encoder for a keyframe (the keyframe interval, or room in the saver).",
    ch(RTP, "the-servers-rtcp", "ch. 5 The server's RTCP"), rfc(4585, "6.3.1")),
  "server:keyframe-deferred": step("jpeg", "Keyframe saving busy",
    "Every saver slot is in use; a keyframe will be asked for when there is room.",
    ch(JPEG, "off-the-media-thread", "ch. 7 Off the media thread"), rfc(4585, "6.3.1")),
  "browser:snapshot-requested": step("vp8", "Snapshot asked",
    "The page asks the server to save the next keyframe.", ch(RTP, "the-servers-rtcp", "ch. 5 The server's RTCP"), rfc(4585, "6.3.1")),
  "server:snapshot-requested": step("vp8", "PLI for the snapshot",
    "Chrome sends keyframes only when asked: a Picture Loss Indication asks for one.",
    ch(RTP, "the-servers-rtcp", "ch. 5 The server's RTCP"), rfc(4585, "6.3.1")),
  // The end
  "browser:hang-up": step("end", "Hang up",
    "The page says bye and keeps the WebSocket open for the server's closing steps.",
    ch(ALL, "", "ch. 8"), rfc(6455, "5.6")),
  "server:bye": step("end", "Bye received",
    "The server ends the session: RTCP BYE for the media, then DTLS close_notify.",
    ch(RTP, "the-servers-rtcp", "ch. 5 The server's RTCP"), rfc(3550, "6.6")),
  "server:track": step("end", "Track counted",
    "One received track's totals, kept in /api/status after the session ends.",
    ch(RTP, "the-servers-rtcp", "ch. 5 The server's RTCP"), rfc(3550, "6.4.1")),
  "server:closed": step("end", "Session closed",
    "The peer connection is closed and freed; its counters stay in /api/status.",
    ch(DTLS, "after-the-handshake", "ch. 3 After the handshake"), rfc(5246, "7.2.1")),
  "server:failed": step("end", "Session failed",
    "ICE, DTLS or the fingerprint failed, or consent expired.", ch(ICE, "consent-the-checks-keep-coming", "ch. 2 Consent"), rfc(7675, "5.1")),
  "server:signaling-closed": step("end", "WebSocket closed",
    "Without signaling the server ends the session.", ch(SIG, "a-websocket", "ch. 1 A WebSocket"), rfc(6455, "7")),
  "browser:signaling-closed": step("end", "WebSocket closed",
    "Signaling is over.", ch(SIG, "a-websocket", "ch. 1 A WebSocket"), rfc(6455, "7")),
  "server:whip-delete": step("end", "WHIP DELETE",
    "A WHIP client ended its session with DELETE.", ch(SIG, "", "ch. 1"), rfc(9725, "4.3")),
  // Errors
  "server:error": step("signaling", "Server error",
    "The server refused a message; the reason is shown.", ch(SIG, "a-websocket", "ch. 1 A WebSocket"), rfc(6455, "5.6")),
  "browser:error": step("signaling", "Error", "Something failed in the page; the reason is shown.",
    ch(SIG, "", "ch. 1"), webrtcStates),
  "browser:answer-rejected": step("signaling", "Answer rejected",
    "The browser could not apply the server's answer.", ch(SIG, "the-answer", "ch. 1 The answer"), rfc(8829, "5.10")),
  "browser:bad-server-message": step("signaling", "Bad message",
    "The server sent something that is not JSON.", ch(SIG, "a-websocket", "ch. 1 A WebSocket"), rfc(6455, "5.6")),
  "browser:codec-preferences-failed": step("signaling", "No VP8 preference",
    "The browser refused to put VP8 first.", ch(SIG, "the-offer", "ch. 1 The offer"), rfc(8829, "5.2")),
};

const firstAudio = step("rtp", "First RTP packet",
  "The first packet of a stream, authenticated and decrypted: its SSRC names the stream from now on.",
  ch(RTP, "the-first-audio-packet", "ch. 5 The first audio packet"), rfc(3550, "5.1"));

// detail: a step's own words, where they tell which section fits (audio's first packet).
export function stepInfo(side: "browser" | "server", name: string, detail?: string): StepInfo | undefined {
  if (side === "server" && name === "first-rtp" && detail?.startsWith("audio")) return firstAudio;
  return STEPS[`${side}:${name}`];
}

// Why the server can finish DTLS before the browser says ICE is connected (chapter 2).
export const DTLS_BEFORE_ICE =
  "Why can the server's DTLS be done before ICE says connected? The server starts its DTLS " +
  "handshake on the first check that authenticates: data may flow on any valid pair without " +
  "nomination (RFC 8445 §8.1.1). Its own ice-connected waits for Chrome's USE-CANDIDATE check, " +
  "and the browser's states reach the page as events on a main thread that is busy starting " +
  "the camera, so the handshake often wins the race on the wire and in the page.";
export const DTLS_BEFORE_ICE_LINK = ch(ICE, "nomination-and-why-dtls-does-not-wait-for-it", "ch. 2 Nomination, and why DTLS does not wait for it");
