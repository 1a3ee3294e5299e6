// The WHEP viewer (draft-ietf-wish-whep): a recvonly video offer POSTed to /whep once every
// candidate is gathered (the server's /whep takes no trickle PATCH yet), the 201's answer and
// Location, the video shown, DELETE on Stop. /watch?echo=1 (serve --echo): the camera goes
// out over WHIP in a sendrecv section instead, and what comes back is shown beside it.
// /watch?autostart=1 starts at once. The state is on body's data-state and data-frames for
// tests; the connection is window.boltrtcWatch.

const video = document.getElementById('video') as HTMLVideoElement;
const statusLine = document.getElementById('status') as HTMLElement;
const watchButton = document.getElementById('watch') as HTMLButtonElement;
const stopButton = document.getElementById('stop') as HTMLButtonElement;
const preview = document.getElementById('preview') as HTMLVideoElement;
const echo = new URLSearchParams(location.search).get('echo') === '1';

let conn: RTCPeerConnection | null = null;
let resource: string | null = null;
let timer = 0;

function setState(state: string, text: string): void {
  document.body.dataset.state = state;
  statusLine.textContent = text;
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') resolve();
    });
  });
}

async function showStats(): Promise<void> {
  if (!conn) return;
  const stats = await conn.getStats();
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      document.body.dataset.frames = String(s.framesDecoded ?? 0);
      statusLine.textContent = `Watching: ${s.frameWidth ?? '?'}x${s.frameHeight ?? '?'}, ` +
        `${s.framesDecoded ?? 0} frames decoded, ${s.packetsReceived ?? 0} packets, ` +
        `${s.packetsLost ?? 0} lost, ${s.nackCount ?? 0} NACKs, ${s.pliCount ?? 0} PLIs.`;
    }
  });
}

async function watch(): Promise<void> {
  watchButton.disabled = true;
  setState('connecting', 'Offering to receive video…');
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
  conn = pc;
  (window as unknown as { boltrtcWatch: RTCPeerConnection }).boltrtcWatch = pc;
  if (echo) {
    const camera = await navigator.mediaDevices.getUserMedia({ video: true });
    preview.hidden = false;
    preview.srcObject = camera;
    pc.addTransceiver(camera.getVideoTracks()[0], { direction: 'sendrecv', streams: [camera] });
  } else {
    pc.addTransceiver('video', { direction: 'recvonly' });
  }
  pc.ontrack = (e) => {
    video.srcObject = new MediaStream([e.track]);
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'connected') setState('connected', 'Connected.');
    if (pc.connectionState === 'failed') setState('failed', 'The connection failed.');
  };
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  const res = await fetch(echo ? '/whip' : '/whep', {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp' },
    body: pc.localDescription?.sdp ?? '',
  });
  const body = await res.text();
  if (res.status !== 201) {
    setState('failed', `The server said ${res.status}: ${body}`);
    watchButton.disabled = false;
    return;
  }
  resource = res.headers.get('Location');
  await pc.setRemoteDescription({ type: 'answer', sdp: body });
  stopButton.disabled = false;
  timer = window.setInterval(() => { void showStats(); }, 500);
}

async function stop(): Promise<void> {
  window.clearInterval(timer);
  conn?.close();
  conn = null;
  stopButton.disabled = true;
  watchButton.disabled = false;
  if (resource) await fetch(resource, { method: 'DELETE' });
  resource = null;
  setState('idle', 'Stopped.');
}

watchButton.onclick = () => { void watch().catch((e) => setState('failed', String(e))); };
stopButton.onclick = () => { void stop(); };
if (new URLSearchParams(location.search).get('autostart') === '1')
  void watch().catch((e) => setState('failed', String(e)));
export {};
