// One round of bench_camera.py: Chromium opens the remote camera's viewer page with
// ?autostart=1, fed either by `boltrtc camera` (--url, its own page and signaling) or by
// aiortc_camera.py (--aiortc CMD: the same page's files served by playwright, its WebSocket
// routed to the script's stdin and stdout; --frames is its testpattern_frames command). After --warmup-ms of decoding it keeps, for
// --measure-ms, every glass-to-glass sample the page reads from the barcodes, and sends a
// command every 100 ms for the control round trip. Prints one JSON line.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { PAGE_ORIGIN, PAGE_WS, serveCameraPage } from '../../tests/e2e/camera_page.mjs';
import { withChromium } from '../../tests/e2e/chromium.mjs';
import { report } from '../../tests/e2e/page.mjs';

const opt = { warmupMs: 2000, measureMs: 10000, timeoutMs: 30000 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
  opt[k] = /Ms$/.test(k) ? Number(argv[i + 1]) : argv[i + 1];
}

// The page's WebSocket, to and from the aiortc script, one JSON message a line.
async function routeSignaling(page, script, frames, logs) {
  const child = spawn('/usr/bin/python3', [script, '--frames', frames], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.on('data', (d) => logs.push(String(d).trim()));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await page.routeWebSocket(PAGE_WS, (ws) => {
    createInterface({ input: child.stdout }).on('line', (line) => ws.send(line));
    ws.onMessage((m) => child.stdin.write(`${m}\n`));
  });
  return async () => {
    child.stdin.end();
    const done = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 5000))]);
    if (done === 'timeout') child.kill('SIGKILL');
  };
}

async function inbound(page) {
  return page.evaluate(async () => {
    let out = null;
    (await window.boltrtcCamera.pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video')
        out = { t: performance.now(), bytes: s.bytesReceived, frames: s.framesDecoded,
                jbDelay: s.jitterBufferDelay, jbCount: s.jitterBufferEmittedCount,
                lost: s.packetsLost, width: s.frameWidth, height: s.frameHeight };
    });
    return out;
  });
}

await report((result, logs) => withChromium('/dev/null', async (page) => {
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  let stop = async () => {};
  let url = opt.url;
  if (opt.aiortc) {
    await serveCameraPage(page, opt.web);
    stop = await routeSignaling(page, opt.aiortc, opt.frames, logs);
    url = `${PAGE_ORIGIN}/`;
  }
  try {
    await page.goto(`${url}?autostart=1`, { timeout: 15000 });
    await page.waitForFunction(() => window.boltrtcCamera.g2g.length > 0 &&
      document.body.dataset.channel === 'open', { timeout: opt.timeoutMs, polling: 100 });
    await page.waitForTimeout(opt.warmupMs);
    const from = await page.evaluate(() => ({ g2g: window.boltrtcCamera.g2g.length,
                                               acks: window.boltrtcCamera.acks.length }));
    const before = await inbound(page);
    for (let i = 0; i * 100 < opt.measureMs; i++) {
      await page.evaluate((k) => window.boltrtcCamera.send(k % 2 ? 1 : -1, 0), i);
      await page.waitForTimeout(100);
    }
    const after = await inbound(page);
    await page.waitForTimeout(300); // the last acks
    Object.assign(result, await page.evaluate((f) => ({
      g2g: window.boltrtcCamera.g2g.slice(f.g2g),
      rtt: window.boltrtcCamera.acks.slice(f.acks).map((a) => a.rtt),
      sent: window.boltrtcCamera.sent.length,
      mispaired: window.boltrtcCamera.mispaired,
      rtpChecked: window.boltrtcCamera.rtpChecked,
    }), from));
    const secs = (after.t - before.t) / 1000;
    result.fps = (after.frames - before.frames) / secs;
    result.kbps = ((after.bytes - before.bytes) * 8) / secs / 1000;
    result.jitterBufferMs = after.jbCount > before.jbCount
      ? (1000 * (after.jbDelay - before.jbDelay)) / (after.jbCount - before.jbCount) : null;
    result.lost = after.lost;
    result.size = `${after.width}x${after.height}`;
  } finally {
    await stop();
  }
}));
