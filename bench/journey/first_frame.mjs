// First frame on the screen: loads each viewer URL (the /watch page, with autostart=1) RUNS
// times in one Chromium (loads.mjs: a fresh browser context each time, URLs in turn), and
// reads when the <video> first presented a frame: requestVideoFrameCallback's metadata, in ms
// since the page's navigation started (performance.timeOrigin), and when the page said it
// was connected. Prints one JSON line per load: {url, run, presented, expectedDisplay,
// callback, connected, error}.
// Usage: node first_frame.mjs --url URL[,URL...] --y4m FILE --runs N --timeout-ms MS
import { eachLoad, loadOptions } from './loads.mjs';

const opt = loadOptions(process.argv.slice(2));
await eachLoad(opt, async (context, url, { run }) => {
  // Before the page's own script: watch the <video> for its first presented frame, and the
  // body's state for the connection.
  await context.addInitScript(() => {
    window.firstFrame = null;
    document.addEventListener('DOMContentLoaded', () => {
      const v = document.getElementById('video');
      v.requestVideoFrameCallback((now, meta) => {
        window.firstFrame = { presented: meta.presentationTime,
                              expectedDisplay: meta.expectedDisplayTime, callback: now };
      });
      new MutationObserver(() => {
        if (document.body.dataset.state === 'connected' && !window.connectedAt)
          window.connectedAt = performance.now();
      }).observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
    });
  });
  const page = await context.newPage();
  const out = { url, run };
  try {
    await page.goto(url, { timeout: 15000 });
    await page.waitForFunction(() => window.firstFrame !== null, null,
      { timeout: opt.timeoutMs, polling: 100 });
    Object.assign(out, await page.evaluate(() => window.firstFrame));
    out.connected = await page.evaluate(() => window.connectedAt ?? null);
  } catch (e) {
    out.error = String(e.message || e).split('\n')[0];
  }
  await page.click('#stop').catch(() => {}); // DELETE: the server ends the session
  await page.waitForTimeout(300);
  process.stdout.write(JSON.stringify(out) + '\n');
});
