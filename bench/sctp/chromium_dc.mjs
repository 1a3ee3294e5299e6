// Data channels with headless Chromium, for bench_dc_chromium.py: in one page, one ordered
// reliable channel to `boltrtc serve` (labelled "echo": the server sends every message back)
// and, in the same run, one between two RTCPeerConnections of the page itself (the second
// sends every message back), each measured the same way, rounds alternating:
//   echo throughput: --messages binary messages of --size bytes, at most 512 KiB in flight,
//     until all are back; payload MB/s (each byte crosses twice) and messages/s;
//   round trip: --pings 64-byte messages one after the other, each sent when the one before
//     is back; median and p99 in ms (performance.now()).
// Prints one JSON line: {ok, rounds: [{kind, size, ms, mbps, msgsPerS, rttMedian, rttP99}]}.
// Usage: node chromium_dc.mjs --url URL --size BYTES --messages N --pings K --rounds R
import { withChromium } from '../../tests/e2e/chromium.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((acc, v, i, a) =>
  (i % 2 === 0 ? acc.concat([[v.replace(/^--/, ''), a[i + 1]]]) : acc), []));

async function measure({ kind, size, messages, pings, timeoutMs }) {
  const until = Date.now() + timeoutMs;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const gathered = (pc) => new Promise((res) => {
    if (pc.iceGatheringState === 'complete') return res();
    pc.onicegatheringstatechange = () => { if (pc.iceGatheringState === 'complete') res(); };
  });
  const pcs = [];
  let ch;
  if (kind === 'boltrtc') {
    const pc = new RTCPeerConnection({ iceServers: [] });
    pcs.push(pc);
    ch = pc.createDataChannel('echo', { ordered: true });
    const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/ws');
    await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error('ws')); });
    ws.onmessage = async (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === 'answer') await pc.setRemoteDescription({ type: 'answer', sdp: m.sdp });
    };
    pc.onicecandidate = (e) => ws.send(JSON.stringify({ type: 'candidate',
      candidate: e.candidate ? e.candidate.candidate : '', sdpMid: e.candidate?.sdpMid ?? '0' }));
    await pc.setLocalDescription(await pc.createOffer());
    ws.send(JSON.stringify({ type: 'offer', sdp: pc.localDescription.sdp }));
    pcs.ws = ws;
  } else {
    const a = new RTCPeerConnection({ iceServers: [] });
    const b = new RTCPeerConnection({ iceServers: [] });
    pcs.push(a, b);
    b.ondatachannel = (e) => {
      const echo = e.channel;
      echo.binaryType = 'arraybuffer';
      echo.onmessage = (m) => echo.send(m.data);
    };
    ch = a.createDataChannel('echo', { ordered: true });
    await a.setLocalDescription(await a.createOffer());
    await gathered(a);
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await gathered(b);
    await a.setRemoteDescription(b.localDescription);
  }
  ch.binaryType = 'arraybuffer';
  while (ch.readyState !== 'open' && Date.now() < until) await sleep(5);
  if (ch.readyState !== 'open') throw new Error(`${kind}: channel not open`);

  let back = 0;
  let wake = null;
  ch.onmessage = () => { back++; if (wake) { const w = wake; wake = null; w(); } };
  const next = () => new Promise((r) => { wake = r; });
  const IN_FLIGHT = 512 * 1024; // serve's echo drops what its 1 MiB send buffer cannot hold
  const msg = new Uint8Array(size);
  let sent = 0;
  const t0 = performance.now();
  while (back < messages && Date.now() < until) {
    while (sent < messages && (sent - back + 1) * size <= Math.max(IN_FLIGHT, size)) {
      ch.send(msg);
      sent++;
    }
    await Promise.race([next(), sleep(50)]);
  }
  const ms = performance.now() - t0;
  if (back < messages) throw new Error(`${kind}: ${back}/${messages} back in time`);

  const ping = new Uint8Array(64);
  const rtt = [];
  for (let i = 0; i < pings && Date.now() < until; i++) {
    const want = back + 1;
    const t = performance.now();
    ch.send(ping);
    while (back < want && Date.now() < until) await Promise.race([next(), sleep(50)]);
    rtt.push(performance.now() - t);
  }
  rtt.sort((x, y) => x - y);
  const at = (p) => rtt[Math.min(rtt.length - 1, Math.round(p * (rtt.length - 1)))];
  ch.close();
  if (pcs.ws) { pcs.ws.send(JSON.stringify({ type: 'bye' })); pcs.ws.close(); }
  for (const pc of pcs) pc.close();
  await sleep(200);
  return { kind, size, ms, mbps: messages * size / ms / 1000, msgsPerS: messages / ms * 1000,
           rttMedian: at(0.5), rttP99: at(0.99), pings: rtt.length };
}

const result = { ok: false, rounds: [] };
try {
  await withChromium('/dev/null', async (page) => {
    await page.goto(args.url, { timeout: 15000 });
    for (let r = 0; r < Number(args.rounds); r++)
      for (const kind of (r % 2 ? ['chromium', 'boltrtc'] : ['boltrtc', 'chromium'])) {
        const out = await page.evaluate(measure, { kind, size: Number(args.size),
          messages: Number(args.messages), pings: Number(args.pings), timeoutMs: 120000 });
        result.rounds.push(out);
        process.stderr.write(`${JSON.stringify(out)}\n`);
      }
  });
  result.ok = true;
} catch (e) {
  result.error = String(e && e.message ? e.message : e).split('\n')[0];
}
console.log(JSON.stringify(result));
process.exit(result.ok ? 0 : 1);
