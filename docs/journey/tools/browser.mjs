// The browser side of the journey's capture (capture.py runs it): Debian's Chromium, headless,
// opens boltrtc's page with ?autostart=1 (tests/e2e/chromium.mjs launches it with the fake
// camera playing a still .y4m picture), stays connected until the first keyframe is saved and
// --hold-ms more, then presses Hang up. It records every WebSocket message both ways, as the
// page sent or received it, with the time it was seen here (ms since the epoch), and prints
// one JSON line: the messages, the page's own timeline (window.boltrtcTimeline), its journey
// list and what getStats() said.
//   node browser.mjs --url URL --y4m FILE [--hold-ms MS] [--timeout-ms MS]
import { withChromium } from '../../../tests/e2e/chromium.mjs';

function parseArgs(argv) {
  const out = { holdMs: 10000, timeoutMs: 60000 };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--url') out.url = v;
    else if (k === '--y4m') out.y4m = v;
    else if (k === '--hold-ms') out.holdMs = Number(v);
    else if (k === '--timeout-ms') out.timeoutMs = Number(v);
    else throw new Error(`unknown argument ${k}`);
  }
  if (!out.url || !out.y4m) throw new Error('--url and --y4m are required');
  return out;
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function journey(page, opt, result) {
  const logs = [];
  result.logs = logs;
  result.websocket = [];
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  page.on('websocket', (ws) => {
    const record = (dir) => (frame) => result.websocket.push({
      t: Date.now(), dir, url: ws.url(),
      text: typeof frame.payload === 'string' ? frame.payload : frame.payload.toString('utf8'),
    });
    ws.on('framesent', record('page->server'));
    ws.on('framereceived', record('server->page'));
  });
  await page.goto(`${opt.url}?autostart=1`, { timeout: 15000 });
  await page.waitForFunction(() => document.body.dataset.state === 'connected', { timeout: opt.timeoutMs });
  await page.waitForFunction(() => Number(document.body.dataset.keyframes || 0) >= 1, { timeout: opt.timeoutMs });
  await sleep(opt.holdMs);
  result.timeline = await page.evaluate(() => window.boltrtcTimeline);
  result.stats = await page.evaluate(async () => {
    const out = [];
    const conn = window.boltrtcPeerConnection;
    if (!conn) return out;
    (await conn.getStats()).forEach((s) => {
      if (['outbound-rtp', 'transport', 'candidate-pair', 'local-candidate', 'remote-candidate',
           'certificate', 'codec'].includes(s.type)) out.push(s);
    });
    return out;
  });
  result.offer = await page.evaluate(() => window.boltrtcPeerConnection?.localDescription?.sdp ?? '');
  result.answer = await page.evaluate(() => window.boltrtcPeerConnection?.remoteDescription?.sdp ?? '');
  result.hangup = Date.now();
  await page.click('#hangup');
  await sleep(1500); // the closing packets, both ways
  result.journey = await page.evaluate(() => Array.from(document.querySelectorAll('[data-step]'))
    .map((e) => ({ side: e.dataset.side, step: e.dataset.step, text: e.textContent })));
  result.userAgent = await page.evaluate(() => navigator.userAgent);
}

const opt = parseArgs(process.argv.slice(2));
const result = { ok: false };
try {
  await withChromium(opt.y4m, (page) => journey(page, opt, result));
  result.ok = true;
} catch (e) {
  result.error = String(e && e.message ? e.message : e).split('\n')[0];
}
process.stdout.write(JSON.stringify(result) + '\n');
process.exit(result.ok ? 0 : 1);
