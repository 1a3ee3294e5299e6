// Chromium watches the server's --source over WHEP: the viewer page (/watch?autostart=1)
// offers recvonly video, and this driver waits until it decodes frames, checks that
// framesDecoded grows, and writes one decoded picture, drawn to a canvas at its own size, as
// raw RGB to --frame-out for e2e.py to compare by PSNR. Prints one JSON line. With --echo the
// page (/watch?echo=1) sends its fake camera (the .y4m) over WHIP and watches what serve
// --echo sends back; the grab waits 3 s more, for the camera's encoder to reach its quality.
// Usage: node whep.mjs --url URL --y4m FILE --frame-out FILE --timeout-ms MS [--echo]
import { writeFileSync } from 'node:fs';
import { withChromium } from './chromium.mjs';
import { decodingFrames, grabVideoRgb } from './grab.mjs';
import { parseArgs, report } from './page.mjs';

const opt = parseArgs(process.argv.slice(2));
if (!opt.frameOut) throw new Error('--frame-out is required');

await report((result, logs) => withChromium(opt.y4m, async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(`${opt.url}watch?${opt.echo ? 'echo=1&' : ''}autostart=1`, { timeout: 15000 });
  await page.waitForFunction(() => document.body.dataset.state === 'connected',
    { timeout: opt.timeoutMs });
  result.frames = await decodingFrames(page, 'boltrtcWatch', opt.timeoutMs);
  if (opt.echo) await page.waitForTimeout(3000);
  const grab = await grabVideoRgb(page, 'video');
  writeFileSync(opt.frameOut, grab.rgb);
  result.width = grab.width;
  result.height = grab.height;
  result.stats = await page.evaluate(async () => {
    const out = {};
    (await window.boltrtcWatch.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video')
        Object.assign(out, { codec: s.codecId, packetsLost: s.packetsLost, nackCount: s.nackCount,
                             pliCount: s.pliCount, framesDropped: s.framesDropped,
                             decoder: s.decoderImplementation, ssrc: s.ssrc });
    });
    return out;
  });
  result.answer = await page.evaluate(() => window.boltrtcWatch.remoteDescription?.sdp ?? '');
  await page.click('#stop');
  await page.waitForFunction(() => document.body.dataset.state === 'idle', { timeout: 5000 });
}));
