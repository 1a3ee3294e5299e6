// Chromium opens two data channels labelled "echo" to `boltrtc serve` (one ordered, one
// unordered) over the server's /ws signaling, from the page's origin, and sends 1,000
// messages over them: text and binary, sizes from 8 bytes to 256 KiB (the a=max-message-size
// both sides say). Every message must come back byte for byte: in order on the ordered
// channel, matched by its index on the unordered one. The page paces itself by what has come
// back (at most 512 KiB in flight), as the server's echo drops what does not fit its send
// buffer. Prints one JSON line.
// --labels A,B names the two channels (default echo,echo): `boltrtc serve --echo` echoes every
// channel whatever its label, plain serve only those labelled "echo".
// Usage: node datachannel_echo.mjs --url URL --timeout-ms MS [--messages N] [--labels A,B]
import { withChromium } from './chromium.mjs';
import { parseArgs, report } from './page.mjs';
import { wsSignal } from './ws_signal.mjs';

const opt = parseArgs(process.argv.slice(2));

async function echo({ timeoutMs, messages, labels }) {
  const MAX = 256 * 1024;
  const IN_FLIGHT = 512 * 1024;
  // A repeatable mix: xorshift32, so a failure can be replayed.
  let seed = 0x2545f491;
  const rand = () => {
    seed ^= seed << 13; seed >>>= 0;
    seed ^= seed >>> 17;
    seed ^= seed << 5; seed >>>= 0;
    return seed;
  };
  const sizeOf = (i) => {
    if (i === 0) return MAX;                 // the largest first: it must fit
    if (i % 50 === 1) return MAX - (rand() % 16);
    if (i % 10 === 0) return 8 + (rand() % (MAX - 8));
    return 8 + (rand() % 1400);             // most messages fit one SCTP packet or two
  };
  // Message i: its index in its first 8 characters/bytes, then content from the PRNG.
  const make = (i) => {
    const len = sizeOf(i);
    const binary = i % 2 === 1;
    const head = String(i).padStart(8, '0');
    if (binary) {
      const b = new Uint8Array(len);
      for (let k = 0; k < 8; k++) b[k] = head.charCodeAt(k);
      for (let k = 8; k < len; k++) b[k] = rand() & 0xff;
      return { i, binary, data: b, len };
    }
    const chars = new Array(len - 8);
    for (let k = 0; k < len - 8; k++) chars[k] = String.fromCharCode(32 + (rand() % 95));
    return { i, binary, data: head + chars.join(''), len };
  };
  const same = (a, b) => {
    if (typeof a === 'string') return typeof b === 'string' && a === b;
    if (!(b instanceof ArrayBuffer) || b.byteLength !== a.length) return false;
    const v = new Uint8Array(b);
    for (let k = 0; k < a.length; k++) if (v[k] !== a[k]) return false;
    return true;
  };
  const indexOf = (d) => Number(typeof d === 'string' ? d.slice(0, 8)
    : String.fromCharCode(...new Uint8Array(d, 0, 8)));

  const conn = new RTCPeerConnection({ iceServers: [] });
  window.boltrtcPeerConnection = conn;
  const channels = [
    conn.createDataChannel(labels[0], { ordered: true }),
    conn.createDataChannel(labels[1], { ordered: false }),
  ];
  const { ws, errors } = await window.boltrtcSignal(conn);
  const until = Date.now() + timeoutMs;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  for (const ch of channels) {
    ch.binaryType = 'arraybuffer';
    while (ch.readyState !== 'open' && Date.now() < until) {
      if (ch.readyState === 'closed') throw new Error(`channel closed before opening: ${errors}`);
      await sleep(20);
    }
    if (ch.readyState !== 'open') throw new Error(`channel not open in time: ${errors}`);
  }
  const answer = conn.remoteDescription.sdp;

  // Sent, not yet back: per channel in order (ordered) or by index (unordered).
  const pending = [[], new Map()];
  const stats = { sent: 0, back: 0, bytesBack: 0, wrong: [], text: 0, binary: 0, largest: 0 };
  let inFlight = 0;
  channels.forEach((ch, c) => {
    ch.onmessage = (ev) => {
      let want;
      if (c === 0) want = pending[0].shift();
      else { want = pending[1].get(indexOf(ev.data)); pending[1].delete(want?.i); }
      if (!want || !same(want.data, ev.data)) {
        if (stats.wrong.length < 5)
          stats.wrong.push({ channel: c, want: want?.i, len: ev.data.byteLength ?? ev.data.length });
        return;
      }
      inFlight -= want.len;
      stats.back++;
      stats.bytesBack += want.len;
    };
  });
  const started = Date.now();
  for (let i = 0; i < messages && Date.now() < until; i++) {
    const m = make(i);
    const c = i % 4 < 2 ? 0 : 1; // text and binary on both channels
    while ((inFlight + m.len > IN_FLIGHT && inFlight > 0) && Date.now() < until) await sleep(2);
    if (c === 0) pending[0].push(m); else pending[1].set(m.i, m);
    inFlight += m.len;
    channels[c].send(m.data);
    stats.sent++;
    if (m.binary) stats.binary++; else stats.text++;
    if (m.len > stats.largest) stats.largest = m.len;
  }
  while (stats.back < stats.sent && stats.wrong.length === 0 && Date.now() < until) await sleep(10);
  stats.ms = Date.now() - started;
  channels.forEach((ch) => ch.close());
  await sleep(300);
  stats.closed = channels.map((ch) => ch.readyState);
  ws.send(JSON.stringify({ type: 'bye' }));
  conn.close();
  return { stats, errors, answer, offer: conn.localDescription.sdp };
}

await report((result, logs) => withChromium('/dev/null', async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.addInitScript(wsSignal);
  await page.goto(opt.url, { timeout: 15000 });
  const labels = opt.labels || ['echo', 'echo'];
  if (labels.length !== 2) throw new Error('--labels takes two labels');
  const out = await page.evaluate(echo, { timeoutMs: opt.timeoutMs, messages: Number(opt.messages || 1000),
                                          labels });
  Object.assign(result, out);
  const s = out.stats;
  if (s.wrong.length) throw new Error(`wrong echoes: ${JSON.stringify(s.wrong)}`);
  if (s.sent !== Number(opt.messages || 1000) || s.back !== s.sent)
    throw new Error(`sent ${s.sent}, back ${s.back}: ${out.errors}`);
}));
