// Loads the boltrtc page RUNS times in one Chromium (a fresh browser context each time, so no
// cache or permission carries over), with ?autostart=1, and waits for the first keyframe the
// server reports saved. Prints one JSON line per run: the page's timeline (ms since the epoch,
// web/src/app.ts window.boltrtcTimeline).
// Usage: node journey.mjs --url URL --y4m FILE --runs N --timeout-ms MS
import { launchChromium } from '../../tests/e2e/chromium.mjs';

const opt = { runs: 10, timeoutMs: 20000 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
  opt[k] = k === 'runs' || k === 'timeoutMs' ? Number(argv[i + 1]) : argv[i + 1];
}

const chrome = await launchChromium(opt.y4m);
try {
  for (let run = 0; run < opt.runs; run++) {
    const context = await chrome.browser.newContext();
    const page = await context.newPage();
    const out = { run };
    try {
      await page.goto(`${opt.url}?autostart=1`, { timeout: 15000 });
      await page.waitForFunction(() => Number(document.body.dataset.keyframes || 0) >= 1, null,
        { timeout: opt.timeoutMs, polling: 5 });
      out.timeline = await page.evaluate(() => window.boltrtcTimeline);
    } catch (e) {
      out.error = String(e.message || e).split('\n')[0];
    }
    // Hang up so the server closes the session before the next run.
    await page.click('#hangup').catch(() => {});
    await context.close();
    process.stdout.write(JSON.stringify(out) + '\n');
  }
} finally {
  await chrome.close();
}
