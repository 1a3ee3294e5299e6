// Loads the boltrtc page RUNS times in one Chromium (a fresh browser context each time, so no
// cache or permission carries over), with ?autostart=1, and waits for the first keyframe the
// server reports saved. Prints one JSON line per run: the page's timeline (ms since the epoch,
// web/src/app.ts window.boltrtcTimeline).
// Usage: node journey.mjs --url URL[,URL...] --y4m FILE --runs N --timeout-ms MS
import { launchChromium } from '../../tests/e2e/chromium.mjs';

const opt = { runs: 10, timeoutMs: 20000 };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
  opt[k] = k === 'runs' || k === 'timeoutMs' ? Number(argv[i + 1]) : argv[i + 1];
}

// --url may name several servers, comma-separated: each round loads the page from each in
// turn, so they are measured under the same load on the machine, and each round starts one
// further along the list, so that none is always first after the browser's idle pause.
const urls = opt.url.split(',');
const chrome = await launchChromium(opt.y4m);
try {
  for (let n = 0; n < opt.runs * urls.length; n++) {
    const run = Math.floor(n / urls.length), server = (n + run) % urls.length;
    const context = await chrome.browser.newContext();
    // The page's main thread busy for 50 ms or more at once, to tell the page's own stalls
    // from the servers'.
    await context.addInitScript(() => {
      window.journeyLongTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries())
          window.journeyLongTasks.push([performance.timeOrigin + e.startTime, e.duration]);
      }).observe({ type: 'longtask', buffered: true });
    });
    const page = await context.newPage();
    const out = { run, server };
    try {
      await page.goto(`${urls[server]}?autostart=1`, { timeout: 15000 });
      // The page marks the time itself; polling only says when to read it, so it is slow
      // (every poll is work on the page's main thread, beside the page's own).
      await page.waitForFunction(() => Number(document.body.dataset.keyframes || 0) >= 1, null,
        { timeout: opt.timeoutMs, polling: 250 });
      out.timeline = await page.evaluate(() => window.boltrtcTimeline);
      out.longTasks = await page.evaluate(() => window.journeyLongTasks);
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
