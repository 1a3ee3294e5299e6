// Chromium's part of bench/ice/bench_connect.py: headless Chromium (Debian's, through
// playwright-core) publishes one canvas video track over WHIP to each `boltrtc serve` given
// (--server NAME=BASE_URL, repeatable), and, as its own figure, to a second
// RTCPeerConnection in the same page; round by round, --runs rounds. Each session gathers
// first (no trickle), applies the answer, and times, on the page's clock, from the moment it
// applies the answer to
// iceConnectionState connected and to connectionState connected (DTLS). One JSON line per
// session on stdout: {"peer", "ice_ms", "dtls_ms"} or {"peer", "error"}.
import { launchChromium } from '../../tests/e2e/chromium.mjs';

const args = process.argv.slice(2);
const servers = [];
let runs = 10;
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--server') {
    const [name, url] = args[++i].split('=');
    servers.push({ name, url });
  }
}

// Runs in the page: one session, to `whip` (same origin) or to a local peer when null.
async function session(whip) {
  const gathered = (pc) => new Promise((res) => {
    if (pc.iceGatheringState === 'complete') res();
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') res();
    });
  });
  const canvas = document.createElement('canvas');
  canvas.width = 64;
  canvas.height = 48;
  canvas.getContext('2d').fillRect(0, 0, 64, 48);
  const track = canvas.captureStream(10).getVideoTracks()[0];
  const pc = new RTCPeerConnection();
  pc.addTransceiver(track, { direction: 'sendonly' });
  await pc.setLocalDescription();
  await gathered(pc);
  let answer, location = null, remote = null;
  if (whip) {
    const r = await fetch(whip, { method: 'POST', headers: { 'Content-Type': 'application/sdp' },
                                  body: pc.localDescription.sdp });
    if (r.status !== 201) throw new Error(`POST ${r.status}`);
    location = r.headers.get('Location');
    answer = await r.text();
  } else {
    remote = new RTCPeerConnection();
    await remote.setRemoteDescription(pc.localDescription);
    await remote.setLocalDescription();
    await gathered(remote);
    answer = remote.localDescription.sdp;
  }
  const when = (target, event, ok) => new Promise((res) => {
    target.addEventListener(event, () => { if (ok()) res(performance.now()); });
  });
  const ice = when(pc, 'iceconnectionstatechange',
                   () => ['connected', 'completed'].includes(pc.iceConnectionState));
  const dtls = when(pc, 'connectionstatechange', () => pc.connectionState === 'connected');
  const t1 = performance.now();
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  const timeout = new Promise((_, rej) => setTimeout(() => rej(new Error('timed out')), 10000));
  try {
    const [ti, td] = await Promise.race([Promise.all([ice, dtls]), timeout]);
    return { ice_ms: ti - t1, dtls_ms: td - t1 };
  } finally {
    pc.close();
    if (remote) remote.close();
    track.stop();
    if (location) await fetch(new URL(location, whip), { method: 'DELETE' }).catch(() => {});
  }
}

const chrome = await launchChromium('/dev/null');
try {
  // A same-origin page of each server (its status JSON: no script of its own runs there).
  const pages = [];
  for (const s of servers) {
    const p = await chrome.browser.newPage();
    await p.goto(`${s.url}/api/status`);
    pages.push({ name: s.name, page: p, whip: `${s.url}/whip` });
  }
  const own = await chrome.browser.newPage();
  await own.goto(servers.length ? `${servers[0].url}/api/status` : 'about:blank');
  pages.push({ name: 'Chromium', page: own, whip: null });
  for (let r = 0; r < runs; r++) {
    for (const p of pages) {
      try {
        const res = await p.page.evaluate(session, p.whip);
        console.log(JSON.stringify({ peer: p.name, ...res }));
      } catch (e) {
        console.log(JSON.stringify({ peer: p.name, error: String(e.message || e) }));
      }
      await new Promise((res) => setTimeout(res, 50));
    }
  }
} finally {
  await chrome.close();
}
