// The packet inspector with a real session: Chromium publishes its fake camera and microphone
// over /ws from the page's origin with {"type":"offer","inspect":true} (its own small client,
// like two_tracks.mjs), then a second session without asking; the inspector's JSON is fetched
// once it holds every kind, wrong ids are tried, and the /inspect page is opened and
// screenshotted. Prints one JSON line for e2e.py to judge.
// Usage: node inspect.mjs --url URL --y4m FILE --timeout-ms MS --screenshot PNG
// (the inspector's JSON goes to inspection.json beside PNG)
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { withChromium } from './chromium.mjs';
import { parseArgs, report } from './page.mjs';
import { wsSignal } from './ws_signal.mjs';

const opt = parseArgs(process.argv.slice(2));
const base = opt.url.replace(/\/$/, '');

// In the page: publish camera and microphone; inspect says whether the offer asks for the
// inspector. Resolves with the offer, the answer message and a hang-up function's name.
async function publish({ inspect, name }) {
  const media = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  const conn = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
  for (const t of media.getTracks()) conn.addTransceiver(t, { direction: 'sendonly' });
  const { ws, answer } = await window.boltrtcSignal(conn, { offer: inspect ? { inspect: true } : {} });
  const m = await answer;
  const until = Date.now() + 20000;
  while (conn.connectionState !== 'connected' && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  window[name] = () => { ws.send(JSON.stringify({ type: 'bye' })); conn.close(); ws.close(); };
  const mids = conn.getTransceivers().map((t) => ({ mid: t.mid, kind: t.sender.track?.kind }));
  return { offer: conn.localDescription.sdp, answer: m, state: conn.connectionState, mids };
}

async function getJson(path) {
  let r = await fetch(base + path);
  if (r.status === 429) { // a session is decoded at most once a second
    await new Promise((r2) => setTimeout(r2, 1100));
    r = await fetch(base + path);
  }
  return { status: r.status, body: r.ok ? await r.json() : await r.text() };
}

// Every kind the test wants, decoded: until then, keep asking (the RTCP comes in seconds).
// The RTCP asked for is what e2e.py checks, an RR of ours and an SR of Chrome's: the first
// RTCP we send can be a REMB alone (RFC 5506), and a busy machine once decoded that before
// our first RR, so "any RTCP out" let the test judge too early.
function complete(x) {
  const has = (kind, dir, field) => x.kinds.some((k) => k.kind === kind && (!dir || k.direction === dir)
    && k.packets.some((p) => !field || p.fields.some((f) => field(f))));
  const named = (name) => (f) => f.name === name;
  const report = (type) => (f) => f.depth === 0 && f.name.startsWith(type);
  return has('stun', 'in', named('USERNAME')) && has('dtls', null, named('ClientHello'))
    && has('rtp', 'in', named('mid')) && has('rtp', 'in', named('VP8 payload descriptor'))
    && has('rtcp', 'out', report('RR')) && has('rtcp', 'in', report('SR'))
    && has('srtp', 'in') && has('srtcp', 'out');
}

await report((result, logs) => withChromium(opt.y4m, async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.addInitScript(wsSignal);
  await page.goto(base + '/', { timeout: 15000 });
  const first = await page.evaluate(publish, { inspect: true, name: 'hangUpFirst' });
  result.first = first;
  if (first.state !== 'connected') throw new Error(`first session ${first.state}`);
  const url = first.answer.inspect;
  if (!url || !/^\/inspect\?session=[0-9a-f]{32}$/.test(url)) throw new Error(`answer's inspect: ${url}`);
  const id = url.split('=')[1];
  const until = Date.now() + opt.timeoutMs;
  let x;
  for (;;) {
    const r = await getJson(`/api/inspect?session=${id}`);
    if (r.status !== 200) throw new Error(`/api/inspect: ${r.status} ${r.body}`);
    x = r.body;
    if (complete(x) || Date.now() > until) break;
    await new Promise((r2) => setTimeout(r2, 1100)); // decoded at most once a second
  }
  // Too big for one line on stdout: beside the screenshot, kept as an artifact.
  writeFileSync(join(dirname(opt.screenshot), 'inspection.json'), JSON.stringify(x, null, 1));
  result.session = x.session;
  result.statsOne = (await getJson('/api/inspect/stats')).body;

  // A second session that does not ask: no URL, and nothing recorded for it.
  const second = await page.evaluate(publish, { inspect: false, name: 'hangUpSecond' });
  result.second = { state: second.state, answerInspect: second.answer.inspect ?? null };
  await new Promise((r) => setTimeout(r, 2000)); // its media flows meanwhile
  result.statsTwo = (await getJson('/api/inspect/stats')).body;
  result.status = (await getJson('/api/status')).body;

  // Wrong ids: one hex digit off, the short session id, none.
  const off = id.slice(0, -1) + (id.endsWith('0') ? '1' : '0');
  result.wrong = {
    off: (await getJson(`/api/inspect?session=${off}`)).status,
    short: (await getJson(`/api/inspect?session=${result.session}`)).status,
    none: (await getJson('/api/inspect')).status,
  };

  // The page, read as a learner would open it: no console errors, every kind shown.
  const inspector = await page.context().browser().newPage();
  const errors = [];
  inspector.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  inspector.on('pageerror', (e) => errors.push(e.message));
  // The test's own requests above count against the once-a-second decode: a reader who
  // opens the page a moment later is what this checks.
  await new Promise((r) => setTimeout(r, 1100));
  await inspector.goto(base + url, { timeout: 15000 });
  await inspector.waitForFunction(() => document.body.dataset.state === 'loaded', null, { timeout: 10000 });
  result.page = await inspector.evaluate(() => ({
    kinds: document.body.dataset.kinds,
    sections: document.querySelectorAll('section[data-kind]').length,
    openFields: document.querySelectorAll('details[open] .fields li').length,
    chapterLinks: Array.from(document.querySelectorAll('a[data-chapter]')).map((a) => a.getAttribute('href')),
  }));
  // Hovering a field marks its bytes.
  await inspector.hover('details[open] .fields li[data-field="USERNAME"]');
  result.page.marked = await inspector.evaluate(() => document.querySelectorAll('span.b.mark').length);
  // Refresh, as a reader of a live session would: the same kinds again, the USERNAME's
  // packet still open.
  await inspector.click('#refresh');
  await inspector.waitForFunction(() => document.body.dataset.state === 'loaded', null, { timeout: 10000 });
  result.page.refreshed = await inspector.evaluate(() => document.querySelectorAll('section[data-kind]').length);
  if (opt.screenshot) await inspector.screenshot({ path: opt.screenshot, fullPage: true });
  result.pageErrors = errors;
  const chapter = result.page.chapterLinks[0];
  result.chapterStatus = chapter ? (await fetch(base + chapter)).status : 0;
  await inspector.close();

  // After hang-up the first session's packets are still readable, marked ended.
  await page.evaluate(() => { window.hangUpFirst(); window.hangUpSecond(); });
  let ended = null;
  const until2 = Date.now() + 10000;
  while (Date.now() < until2) {
    const r = await getJson(`/api/inspect?session=${id}`);
    ended = r.status === 200 ? r.body.state : r.status;
    if (ended === 'ended') break;
    await new Promise((r2) => setTimeout(r2, 300));
  }
  result.afterClose = ended;
}));
