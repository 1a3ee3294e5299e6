// Loads a page RUNS times in one Chromium (loads.mjs: a fresh browser context each time,
// servers in turn) and waits for the first keyframe saved. Prints one JSON line per run: the
// page's timeline (ms since the epoch).
// - boltrtc's page (also as served by aiortc_server.py), with ?autostart=1: it marks its own
//   times (web/src/app.ts window.boltrtcTimeline) and is told of the JPEG.
// - aiortc's reference page (aiortc_reference.py; a URL given as ref:URL): its Start button is
//   clicked as soon as its script is there, with video only; the times are marked from outside
//   the page's code, by wrapping getUserMedia, createOffer and fetch; the page is never told of
//   the JPEG, so the load ends when a new one is in its server's output folder.
// Every load ends the same way: when a new JPEG is in that server's folder (--output-dirs, one
// per URL, in the same order), found from outside the browser. Polling the page instead
// (waitForFunction) evaluated a script in it, 50 to 80 ms on its main thread the first time,
// just while the page's camera was starting, and only on boltrtc's pages: the instrument slowed
// what it measured. The page's own "page told" mark is read after the JPEG.
// Usage: node journey.mjs --url URL[,ref:URL...] --output-dirs DIR[,DIR...] --y4m FILE
//        --runs N --timeout-ms MS
import { readdirSync } from 'node:fs';
import { eachLoad, loadOptions } from './loads.mjs';

const opt = loadOptions(process.argv.slice(2));

// Runs in the reference page before its own script (addInitScript).
function markReferencePage() {
  const t = (window.boltrtcTimeline = { navigation: performance.timeOrigin });
  const mark = (n) => { if (!(n in t)) t[n] = performance.timeOrigin + performance.now(); };
  const md = navigator.mediaDevices;
  const gum = md.getUserMedia.bind(md);
  md.getUserMedia = (c) => {
    mark('camera-asked');
    return gum(c).then((s) => { mark('camera-ready'); return s; });
  };
  const createOffer = RTCPeerConnection.prototype.createOffer;
  RTCPeerConnection.prototype.createOffer = function (...a) {
    return createOffer.apply(this, a).then((o) => { mark('offer-made'); return o; });
  };
  const fetch0 = window.fetch.bind(window);
  window.fetch = (url, init) => {
    if (!String(url).endsWith('/offer')) return fetch0(url, init);
    mark('offer-sent');
    return fetch0(url, init).then((r) => { mark('answer-received'); return r; });
  };
  document.addEventListener('DOMContentLoaded', () => {
    // Video only, at the camera's default size (the still picture's 640x480), default codecs,
    // no data channel and no STUN server: the same picture as boltrtc's page sends.
    const check = (id, on) => { document.getElementById(id).checked = on; };
    check('use-datachannel', false);
    check('use-audio', false);
    check('use-video', true);
    check('use-stun', false);
    mark('connect');
    document.getElementById('start').click();
  });
}

const jpegs = (dir) => readdirSync(dir).filter((n) => n.endsWith('.jpg')).length;

async function waitForJpeg(dir, before, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (jpegs(dir) <= before) {
    if (Date.now() > end) throw new Error(`no new JPEG in ${dir} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

await eachLoad(opt, async (context, url, out) => {
  const reference = url.startsWith('ref:');
  if (reference) {
    url = url.slice(4);
    await context.addInitScript(markReferencePage);
  }
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
  // A page that never starts says why: its requests that failed (a missing module, say).
  const failed = [];
  page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`); });
  page.on('pageerror', (e) => failed.push(String(e.message || e).split('\n')[0]));
  const dir = opt.outputDirs.split(',')[out.server];
  try {
    const before = jpegs(dir);
    await page.goto(reference ? url : `${url}?autostart=1`, { timeout: 15000 });
    await waitForJpeg(dir, before, opt.timeoutMs);
    if (!reference) {
      // Told of it by the server: the page marks that time itself; polling only says when to
      // read it, so it is slow.
      await page.waitForFunction(() => Number(document.body.dataset.keyframes || 0) >= 1, null,
        { timeout: opt.timeoutMs, polling: 250 });
    }
    out.timeline = await page.evaluate(() => window.boltrtcTimeline);
    out.longTasks = await page.evaluate(() => window.journeyLongTasks);
    // The document's own fetch and parse (Navigation Timing), in ms since navigation.
    out.document = await page.evaluate(() => {
      const n = performance.getEntriesByType('navigation')[0];
      return n && { responseStart: n.responseStart, responseEnd: n.responseEnd,
        domInteractive: n.domInteractive, domContentLoaded: n.domContentLoadedEventStart,
        load: n.loadEventStart };
    });
  } catch (e) {
    out.error = String(e.message || e).split('\n')[0] + (failed.length ? `; ${failed.join(', ')}` : '');
  }
  // Hang up so the server closes the session before the next run.
  await page.click(reference ? '#stop' : '#hangup', { timeout: 2000 }).catch(() => {});
  process.stdout.write(JSON.stringify(out) + '\n');
});
