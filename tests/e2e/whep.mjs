// Chromium watches the server's --source over WHEP: the viewer page (/watch?autostart=1)
// offers recvonly video, and this driver waits until it decodes frames, checks that
// framesDecoded grows, and writes one decoded picture, drawn to a canvas at its own size, as
// raw RGB to --frame-out for e2e.py to compare by PSNR. Prints one JSON line. With --echo the
// page (/watch?echo=1) sends its fake camera (the .y4m) over WHIP and watches what serve
// --echo sends back; the grab waits 3 s more, for the camera's encoder to reach its quality.
// Usage: node whep.mjs --url URL --y4m FILE --frame-out FILE --timeout-ms MS [--echo]
import { writeFileSync } from 'node:fs';
import { withChromium } from './chromium.mjs';
import { parseArgs, report } from './page.mjs';

const opt = parseArgs(process.argv.slice(2));
if (!opt.frameOut) throw new Error('--frame-out is required');

async function framesDecoded(page) {
  return page.evaluate(async () => {
    let n = 0;
    (await window.boltrtcWatch.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded ?? 0;
    });
    return n;
  });
}

await report((result, logs) => withChromium(opt.y4m, async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(`${opt.url}watch?${opt.echo ? 'echo=1&' : ''}autostart=1`, { timeout: 15000 });
  await page.waitForFunction(() => document.body.dataset.state === 'connected',
    { timeout: opt.timeoutMs });
  await page.waitForFunction(async () => {
    let n = 0;
    (await window.boltrtcWatch.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded ?? 0;
    });
    const v = document.getElementById('video');
    return n >= 30 && v.videoWidth > 0 && v.readyState >= 2;
  }, { timeout: opt.timeoutMs, polling: 200 });
  result.frames = [await framesDecoded(page)];
  await page.waitForTimeout(1000);
  result.frames.push(await framesDecoded(page));
  if (opt.echo) await page.waitForTimeout(3000);
  const grab = await page.evaluate(() => {
    const v = document.getElementById('video');
    const c = document.createElement('canvas');
    c.width = v.videoWidth;
    c.height = v.videoHeight;
    const ctx = c.getContext('2d');
    ctx.drawImage(v, 0, 0);
    const px = ctx.getImageData(0, 0, c.width, c.height).data;
    const rgb = new Uint8Array(c.width * c.height * 3);
    for (let i = 0, j = 0; i < px.length; i += 4, j += 3) {
      rgb[j] = px[i];
      rgb[j + 1] = px[i + 1];
      rgb[j + 2] = px[i + 2];
    }
    let bin = '';
    for (let i = 0; i < rgb.length; i += 0x8000)
      bin += String.fromCharCode.apply(null, rgb.subarray(i, i + 0x8000));
    return { width: c.width, height: c.height, rgb: btoa(bin) };
  });
  writeFileSync(opt.frameOut, Buffer.from(grab.rgb, 'base64'));
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
