// One headless Chromium for the whole NAT-lab camera matrix (test_nat_camera.py): it runs in
// the viewer's namespace and, for each case the test writes on stdin as one JSON line
// ({"url": ".../camera.html?room=R&autostart=1", "frameOut": FILE, "timeoutMs": MS}), opens
// the viewer page in a fresh browser context, waits until it is connected and decoding,
// writes one shown picture as raw RGB to frameOut (for the PSNR), sends control commands on
// the channel and waits for their acks, reads the selected candidate pair from getStats,
// hangs up, and prints one JSON line with what it saw. {"quit": true} ends it.
// Usage: node nat_camera.mjs --reach ADDR   (the address the page is served from)
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { launchChromium, puppeteerWaitOrder } from '../e2e/chromium.mjs';
import { decodingFrames, grabVideoRgb } from '../e2e/grab.mjs';

const reach = process.argv.includes('--reach') ? [process.argv[process.argv.indexOf('--reach') + 1]] : [];
const COMMANDS = [[1, 0], [0, 1], [-1, 1], [0.5, -0.5], [0, 0], [-0.25, 0.75]];

async function runCase(browser, c) {
  const result = { ok: false, logs: [] };
  const context = await browser.newContext();
  try {
    const page = puppeteerWaitOrder(await context.newPage());
    page.on('console', (m) => result.logs.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => result.logs.push(`pageerror: ${e.message}`));
    const t0 = Date.now();
    await page.goto(c.url, { timeout: 15000 });
    await page.waitForFunction(() => document.body.dataset.state === 'connected',
      { timeout: c.timeoutMs, polling: 20 });
    result.connectedMs = Date.now() - t0;
    result.frames = await decodingFrames(page, 'boltrtcCamera.pc', c.timeoutMs);
    const grab = await grabVideoRgb(page, 'video');
    writeFileSync(c.frameOut, grab.rgb);
    result.width = grab.width;
    result.height = grab.height;
    await page.waitForFunction(() => document.body.dataset.channel === 'open', { timeout: c.timeoutMs });
    for (const [steer, throttle] of COMMANDS) {
      await page.evaluate(([s, t]) => window.boltrtcCamera.send(s, t), [steer, throttle]);
      await page.waitForTimeout(30);
    }
    await page.waitForFunction(() => window.boltrtcCamera.acks.length >= window.boltrtcCamera.sent.length,
      { timeout: 10000 }).catch(() => {});
    Object.assign(result, await page.evaluate(async () => {
      const cam = window.boltrtcCamera;
      const stats = new Map();
      (await cam.pc.getStats()).forEach((s) => stats.set(s.id, s));
      const transport = [...stats.values()].find((s) => s.type === 'transport');
      const pair = transport && stats.get(transport.selectedCandidatePairId);
      const cand = (id) => {
        const s = stats.get(id);
        return s ? { type: s.candidateType, address: s.address, port: s.port,
                     relayProtocol: s.relayProtocol ?? null } : null;
      };
      return {
        sent: cam.sent, acks: cam.acks,
        pair: pair ? { local: cand(pair.localCandidateId), remote: cand(pair.remoteCandidateId) } : null,
        offer: cam.pc.remoteDescription?.sdp ?? '',
      };
    }));
    await page.click('#hangup');
    await page.waitForFunction(() => document.body.dataset.state === 'idle', { timeout: 5000 });
    result.ok = true;
  } catch (e) {
    result.error = String(e);
  } finally {
    await context.close().catch(() => {});
  }
  return result;
}

const chrome = await launchChromium('/dev/null', { reach });
try {
  console.log(JSON.stringify({ ready: true }));
  for await (const line of createInterface({ input: process.stdin })) {
    const c = JSON.parse(line);
    if (c.quit) break;
    console.log(JSON.stringify(await runCase(chrome.browser, c)));
  }
} finally {
  await chrome.close();
}
