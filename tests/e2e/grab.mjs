// The picture a <video> shows now, drawn to a canvas at its own size, as raw RGB (what e2e.py
// compares by PSNR): { width, height, rgb: Buffer }.
export async function grabVideoRgb(page, id) {
  const grab = await page.evaluate((videoId) => {
    const v = document.getElementById(videoId);
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
  }, id);
  return { width: grab.width, height: grab.height, rgb: Buffer.from(grab.rgb, 'base64') };
}

// framesDecoded of the first inbound video in the page's connection at window[path] (a dotted
// path: 'boltrtcWatch', 'boltrtcCamera.pc').
export async function framesDecoded(page, path) {
  return page.evaluate(async (p) => {
    const pc = p.split('.').reduce((o, k) => o[k], window);
    let n = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded ?? 0;
    });
    return n;
  }, path);
}

// Waits until 30 frames are decoded and <video id="video"> shows one, then reads
// framesDecoded twice, a second apart: [before, after] (after must be larger). Polled here,
// not with waitForFunction: Playwright takes the Promise an async predicate returns as a
// truthy answer, so getStats could not be awaited there and the wait returned at once.
export async function decodingFrames(page, path, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await page.evaluate(() => {
      const v = document.getElementById('video');
      return v.videoWidth > 0 && v.readyState >= 2;
    });
    if (shown && (await framesDecoded(page, path)) >= 30) break;
    if (Date.now() > deadline) throw new Error(`fewer than 30 frames decoded in ${timeoutMs} ms`);
    await page.waitForTimeout(200);
  }
  const frames = [await framesDecoded(page, path)];
  await page.waitForTimeout(1000);
  frames.push(await framesDecoded(page, path));
  return frames;
}
