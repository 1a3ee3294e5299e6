// The remote camera's viewer (web/camera.html, served by `boltrtc camera`). The device offers
// over the WebSocket at /ws: video, and a data channel "control" (unordered, maxRetransmits
// 0). This page answers, trickles its candidates, shows the video, sends a JSON command per
// key press or gamepad change, and shows live the control round trip (each ack echoes the
// command's seq and send time), glass-to-glass latency (the test pattern's barcode: capture
// time in Unix ms, layout in src/sources/barcode.h), frame rate and bitrate (getStats).
// /?autostart=1 connects at once; /?token=T passes the device's --token. For tests: the state
// is body's data-state, and window.boltrtcCamera holds the connection, the channel, what was
// sent, the acks and the glass-to-glass samples.
// Rendezvous: served by `boltrtc serve` as /camera.html?room=NAME[&key=K][&token=T], the page
// joins that room (src/signal/rooms.h) where `boltrtc camera --signal` waits; the offer, the
// answer and both sides' trickled candidates go through the room, and the page takes the
// room's STUN and TURN servers. The device leaving the room (peer-left, bye) ends the call;
// the page waits in the room for its next offer.

interface Command { seq: number; t: number; steer: number; throttle: number }
interface Ack { seq: number; t: number; rx: number; stale: boolean; rtt: number }
interface CameraState {
  pc: RTCPeerConnection | null;
  channel: RTCDataChannel | null;
  sent: Command[];
  acks: Ack[];
  g2g: number[];          // ms, one per frame whose barcode was read
  barcodeFrames: number[]; // the barcode's frame numbers, as read
  lateFrames: number;      // frames not read: the callback ran too late to trust the pairing
  mispaired: number;       // barcodes read from another frame than the callback's (by RTP time)
  rtpChecked: number;      // barcodes whose pairing the RTP timestamp confirmed
  send: (steer: number, throttle: number) => boolean;
}

const $ = (id: string): HTMLElement => document.getElementById(id) as HTMLElement;
const video = $('video') as HTMLVideoElement;
const connectButton = $('connect') as HTMLButtonElement;
const hangupButton = $('hangup') as HTMLButtonElement;
const params = new URLSearchParams(location.search);
const room = params.get('room');
let iceServers: RTCIceServer[] = [];

const state: CameraState = {
  pc: null, channel: null, sent: [], acks: [], g2g: [], barcodeFrames: [], lateFrames: 0, mispaired: 0,
  rtpChecked: 0, send,
};
(window as unknown as { boltrtcCamera: CameraState }).boltrtcCamera = state;

let ws: WebSocket | null = null;
let seq = 0;
let steer = 0;
let throttle = 0;
let statsTimer = 0;
let lastBytes = 0;
let lastBytesAt = 0;
const t0 = performance.now();

function setState(s: string, text: string): void {
  document.body.dataset.state = s;
  $('status').textContent = text;
}

function journey(text: string): void {
  const li = document.createElement('li');
  li.textContent = `${((performance.now() - t0) / 1000).toFixed(3)} s  ${text}`;
  $('journey').appendChild(li);
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '–');

// ---- control ----

// One message per change: a command the device acknowledges with its seq and our t.
function send(newSteer: number, newThrottle: number): boolean {
  const ch = state.channel;
  if (!ch || ch.readyState !== 'open') return false;
  steer = newSteer;
  throttle = newThrottle;
  const cmd: Command = { seq: seq++, t: performance.now(), steer, throttle };
  ch.send(JSON.stringify(cmd));
  state.sent.push(cmd);
  $('steer').textContent = steer.toFixed(2);
  $('throttle').textContent = throttle.toFixed(2);
  $('sent').textContent = String(state.sent.length);
  $('last-command').textContent = JSON.stringify(cmd);
  return true;
}

function onAck(text: string): void {
  let ack: Ack;
  try {
    ack = JSON.parse(text) as Ack;
  } catch {
    return;
  }
  if ((ack as unknown as { type?: string }).type !== 'ack') return;
  ack.rtt = performance.now() - ack.t; // t is ours, echoed: the same clock
  state.acks.push(ack);
  document.body.dataset.acks = String(state.acks.length);
  $('acked').textContent = String(state.acks.length);
  $('rtt').textContent = ms(ack.rtt);
  $('rtt-median').textContent = ms(median(state.acks.slice(-50).map((a) => a.rtt)));
}

// Arrow keys: pressed is full deflection, released is 0; held keys repeat but send nothing new.
const keys = new Set<string>();
function fromKeys(): void {
  const s = (keys.has('ArrowRight') ? 1 : 0) - (keys.has('ArrowLeft') ? 1 : 0);
  const th = (keys.has('ArrowUp') ? 1 : 0) - (keys.has('ArrowDown') ? 1 : 0);
  if (s !== steer || th !== throttle) send(s, th);
}
document.addEventListener('keydown', (e) => {
  if (!e.key.startsWith('Arrow')) return;
  e.preventDefault();
  if (e.repeat) return;
  keys.add(e.key);
  fromKeys();
});
document.addEventListener('keyup', (e) => {
  if (!e.key.startsWith('Arrow')) return;
  e.preventDefault();
  keys.delete(e.key);
  fromKeys();
});

// Gamepad API (standard mapping): left stick x steers; the right and left triggers are
// throttle forward and back, or the stick's y when no trigger is pressed. Polled each frame;
// a change of more than the dead zone's grain sends.
function axis(v: number): number {
  const dead = 0.08;
  return Math.abs(v) < dead ? 0 : Math.round(Math.max(-1, Math.min(1, v)) * 50) / 50;
}
function pollGamepad(): void {
  const pad = Array.from(navigator.getGamepads ? navigator.getGamepads() : []).find((p) => p);
  if (pad) {
    $('gamepad').textContent = pad.id.slice(0, 24);
    const triggers = (pad.buttons[7]?.value ?? 0) - (pad.buttons[6]?.value ?? 0);
    const s = axis(pad.axes[0] ?? 0);
    const th = axis(triggers !== 0 ? triggers : -(pad.axes[1] ?? 0));
    if (keys.size === 0 && (s !== steer || th !== throttle)) send(s, th);
  }
  requestAnimationFrame(pollGamepad);
}

// ---- glass to glass: the barcode (src/sources/barcode.h) ----

const canvas = document.createElement('canvas');
const ctx = canvas.getContext('2d', { willReadFrequently: true }) as CanvasRenderingContext2D;

function crc16(bytes: Uint8Array, n: number): number {
  let c = 0xffff;
  for (let i = 0; i < n; i++) {
    c ^= bytes[i] << 8;
    for (let b = 0; b < 8; b++) c = (c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1) & 0xffff;
  }
  return c;
}

// The capture time (Unix ms) and frame number in the picture now drawn, or null.
function readBarcode(): { captureMs: number; frame: number } | null {
  const w = video.videoWidth;
  const cell = Math.floor(w / 32);
  if (w < 128 || video.videoHeight < 3 * cell) return null;
  canvas.width = w;
  canvas.height = 3 * cell;
  ctx.drawImage(video, 0, 0, w, 3 * cell, 0, 0, w, 3 * cell);
  const px = ctx.getImageData(0, 0, w, 3 * cell).data;
  const x0 = Math.floor((w - 32 * cell) / 2);
  const lo = Math.floor(cell / 4);
  const hi = Math.max(lo + 1, Math.floor((3 * cell) / 4));
  const bytes = new Uint8Array(12);
  for (let i = 0; i < 96; i++) {
    const cx = x0 + (i % 32) * cell;
    const cy = Math.floor(i / 32) * cell;
    let sum = 0;
    let n = 0;
    for (let y = cy + lo; y < cy + hi; y++) {
      for (let x = cx + lo; x < cx + hi; x++, n++) {
        const k = (y * w + x) * 4;
        sum += 0.299 * px[k] + 0.587 * px[k + 1] + 0.114 * px[k + 2];
      }
    }
    if (sum / n > 127.5) bytes[i >> 3] |= 1 << (7 - (i % 8));
  }
  if (bytes[0] !== 0xb5 || crc16(bytes, 10) !== ((bytes[10] << 8) | bytes[11])) return null;
  let captureMs = 0;
  for (let i = 1; i <= 6; i++) captureMs = captureMs * 256 + bytes[i];
  return { captureMs, frame: (bytes[7] << 16) | (bytes[8] << 8) | bytes[9] };
}

// Whether the barcode read now is from the frame the callback describes. drawImage reads the
// frame the video shows at that moment, which can already be a newer one than meta's; the
// sample would then be short by a frame interval or more (CI once read -2.1 ms that way, and
// -230 ms with a callback far behind). The RTP timestamp settles it. A sender stamps each
// frame on the 90 kHz clock (RFC 7741 4.1) from its capture time (boltrtc,
// src/rtp/rtp_sender.c) or from its place on the frame-rate grid (aiortc in
// bench/camera), and the test pattern draws a frame when it is due: either way
// rtp - 90 * captureMs stays one constant, within a few ms of capture jitter, for frames
// paired right, while a newer frame is a whole frame interval (16 ms or more up to 60 fps)
// off. The constant (the random RTP offset, RFC 3550 5.1) is learnt as the median of recent
// readings, which a rare wrong pairing cannot move; until five readings exist none is kept.
const RTP_TICKS_PER_MS = 90;
const PAIRING_TOLERANCE_MS = 8;
const recentOffsets: number[] = [];
function pairedWithMeta(captureMs: number, rtp: number): boolean {
  const offset = (rtp - ((captureMs * RTP_TICKS_PER_MS) % 2 ** 32) + 2 ** 32) % 2 ** 32;
  recentOffsets.push(offset);
  if (recentOffsets.length > 31) recentOffsets.shift();
  if (recentOffsets.length < 5) return false;
  // Each offset as a signed distance from this one's: RTP time wraps at 2^32.
  const apart = recentOffsets.map((o) => ((o - offset + 2 ** 31 + 2 ** 32) % 2 ** 32) - 2 ** 31);
  return Math.abs(median(apart)) <= PAIRING_TOLERANCE_MS * RTP_TICKS_PER_MS;
}

// Each frame as it is composited: its expected display time on the wall clock, minus the
// capture time it carries. A callback that runs late (a busy main thread) is not read at
// all; a browser without meta.rtpTimestamp gets no other check than that.
const LATE_CALLBACK_MS = 20;
function onFrame(_now: number, meta: VideoFrameCallbackMetadata): void {
  const late = performance.now() - meta.expectedDisplayTime > LATE_CALLBACK_MS;
  const code = late ? null : readBarcode();
  if (late) state.lateFrames++;
  const rtp = (meta as { rtpTimestamp?: number }).rtpTimestamp;
  let paired = code !== null;
  if (code && rtp !== undefined) {
    paired = pairedWithMeta(code.captureMs, rtp);
    if (paired) state.rtpChecked++;
    else if (recentOffsets.length >= 5) state.mispaired++;
  }
  if (code && paired) {
    const shown = performance.timeOrigin + meta.expectedDisplayTime;
    const g2g = shown - code.captureMs;
    state.g2g.push(g2g);
    state.barcodeFrames.push(code.frame);
    if (state.g2g.length > 100000) state.g2g.splice(0, 50000);
    $('g2g').textContent = ms(g2g);
    $('g2g-median').textContent = ms(median(state.g2g.slice(-100)));
  }
  video.requestVideoFrameCallback(onFrame);
}

// ---- stats ----

async function showStats(): Promise<void> {
  if (!state.pc) return;
  (await state.pc.getStats()).forEach((s) => {
    if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
    const now = performance.now();
    if (lastBytesAt) {
      const kbps = ((s.bytesReceived - lastBytes) * 8) / (now - lastBytesAt);
      $('bitrate').textContent = `${kbps.toFixed(0)} kbit/s`;
    }
    lastBytes = s.bytesReceived ?? 0;
    lastBytesAt = now;
    $('fps').textContent = s.framesPerSecond !== undefined ? `${s.framesPerSecond} fps` : '–';
    $('decoded').textContent = String(s.framesDecoded ?? 0);
    document.body.dataset.frames = String(s.framesDecoded ?? 0);
    if (s.jitterBufferEmittedCount)
      $('jitter').textContent = ms((1000 * s.jitterBufferDelay) / s.jitterBufferEmittedCount);
  });
}

// ---- signaling: the device offers ----

function signal(msg: object): void {
  if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
}

function endCall(): void {
  state.pc?.close();
  state.pc = null;
  state.channel = null;
  window.clearInterval(statsTimer);
}

async function onOffer(sdp: string, source: string): Promise<void> {
  journey(`offer from the device (${source})`);
  endCall(); // a new offer (the device came back to the room) replaces the last call
  const pc = new RTCPeerConnection({ iceServers, bundlePolicy: 'max-bundle' });
  state.pc = pc;
  pc.onicecandidate = (e) => signal({ type: 'candidate', candidate: e.candidate ? e.candidate.candidate : '',
                                      mid: e.candidate?.sdpMid ?? '' });
  pc.oniceconnectionstatechange = () => { document.body.dataset.ice = pc.iceConnectionState; };
  pc.ontrack = (e) => {
    // No jitter buffer beyond what decoding needs: latency over smoothness.
    const r = e.receiver as unknown as { jitterBufferTarget?: number | null; playoutDelayHint?: number };
    if ('jitterBufferTarget' in e.receiver) r.jitterBufferTarget = 0;
    else r.playoutDelayHint = 0;
    video.srcObject = new MediaStream([e.track]);
    journey('video track');
  };
  pc.ondatachannel = (e) => {
    if (e.channel.label !== 'control') return;
    const ch = e.channel;
    state.channel = ch;
    ch.onopen = () => {
      journey(`control channel open (ordered ${ch.ordered}, maxRetransmits ${ch.maxRetransmits})`);
      document.body.dataset.channel = 'open';
    };
    ch.onmessage = (m) => onAck(String(m.data));
    ch.onclose = () => { document.body.dataset.channel = 'closed'; };
  };
  pc.onconnectionstatechange = () => {
    journey(`connection ${pc.connectionState}`);
    if (pc.connectionState === 'connected') setState('connected', 'Connected: drive with the arrow keys or a gamepad.');
    if (pc.connectionState === 'failed') setState('failed', 'The connection failed.');
  };
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  signal({ type: 'answer', sdp: pc.localDescription?.sdp ?? '' });
  journey('answer sent');
  statsTimer = window.setInterval(() => { void showStats(); }, 1000);
}

// The device's candidates (RFC 8838); "" ends them. Added once the offer is set: messages
// are handled one after another (below), so none overtakes the offer.
async function onCandidate(candidate: string, mid: string): Promise<void> {
  if (!state.pc) return;
  try {
    await state.pc.addIceCandidate({ candidate, sdpMid: mid || '0' });
  } catch (err) {
    journey(`a candidate from the device was not taken: ${String(err)}`);
  }
}

interface SignalMessage {
  type: string; sdp?: string; source?: string; step?: string; ms?: number; message?: string;
  candidate?: string; mid?: string; room?: string; members?: number; iceServers?: RTCIceServer[];
  reason?: string;
}

function waitInRoom(why: string): void {
  endCall();
  journey(why);
  setState('connecting', `${why}: waiting in room ${room ?? ''} for the device…`);
}

async function onSignal(msg: SignalMessage): Promise<void> {
  if (msg.type === 'offer' && msg.sdp) await onOffer(msg.sdp, msg.source ?? '');
  else if (msg.type === 'candidate') await onCandidate(msg.candidate ?? '', msg.mid ?? '');
  else if (msg.type === 'step') journey(`device: ${msg.step} (${(msg.ms ?? 0).toFixed(1)} ms)`);
  else if (msg.type === 'joined') {
    iceServers = msg.iceServers ?? [];
    journey(`joined room ${msg.room} (${msg.members} there; ${iceServers.length} ICE servers)`);
  } else if (msg.type === 'peer-joined') journey('the device joined the room');
  else if (msg.type === 'peer-left') waitInRoom('the device left the room');
  else if (msg.type === 'bye') waitInRoom(`the device ended the call (${msg.reason ?? ''})`);
  else if (msg.type === 'error' && room) journey(`room: ${msg.message}`); // e.g. not there yet
  else if (msg.type === 'error') { journey(`device: ${msg.message}`); setState('failed', `The device said: ${msg.message}`); }
}

function connect(): void {
  connectButton.disabled = true;
  hangupButton.disabled = false;
  setState('connecting', room ? `Joining room ${room}…` : 'Waiting for the device’s offer…');
  const query = new URLSearchParams();
  if (room) query.set('room', room);
  for (const name of ['key', 'token']) {
    const value = params.get(name);
    if (value) query.set(name, value);
  }
  const q = query.toString();
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${q ? `?${q}` : ''}`;
  ws = new WebSocket(url);
  ws.onopen = () => journey('signaling open');
  let queue = Promise.resolve();
  ws.onmessage = (e) => {
    const msg = JSON.parse(String(e.data)) as SignalMessage;
    queue = queue.then(() => onSignal(msg)).catch((err) => setState('failed', String(err)));
  };
  ws.onclose = () => {
    journey('signaling closed');
    if (document.body.dataset.state !== 'failed' && document.body.dataset.state !== 'idle')
      setState('idle', 'The device closed the session.');
  };
}

function hangup(): void {
  signal({ type: 'bye' });
  ws?.close();
  endCall();
  connectButton.disabled = false;
  hangupButton.disabled = true;
  setState('idle', 'Hung up.');
}

connectButton.onclick = connect;
hangupButton.onclick = hangup;
video.requestVideoFrameCallback(onFrame);
requestAnimationFrame(pollGamepad);
if (params.get('autostart') === '1') connect();
export {};
