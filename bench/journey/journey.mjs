// Loads the boltrtc page RUNS times in one Chromium (loads.mjs: a fresh browser context each
// time, servers in turn), with ?autostart=1, and waits for the first keyframe the server
// reports saved. Prints one JSON line per run: the page's timeline (ms since the epoch,
// web/src/app.ts window.boltrtcTimeline).
// Usage: node journey.mjs --url URL[,URL...] --y4m FILE --runs N --timeout-ms MS
import { eachLoad, loadOptions } from './loads.mjs';

const opt = loadOptions(process.argv.slice(2));
await eachLoad(opt, async (context, url, out) => {
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
  try {
    await page.goto(`${url}?autostart=1`, { timeout: 15000 });
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
  process.stdout.write(JSON.stringify(out) + '\n');
});
