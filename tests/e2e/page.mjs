// What every browser driver does with the boltrtc page once its browser is up: open it with
// ?autostart=1, wait until it is connected and the wanted number of keyframes are saved
// (pressing Snapshot after the first, if asked), and read back what the page showed.
// The drivers (browser.mjs for Chromium, firefox.mjs for Firefox) differ only in how they
// launch their browser; both print one JSON line with the result.

export async function runJourney(page, opt, result, logs) {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  const sep = opt.url.includes('?') ? '&' : '?';
  await page.goto(`${opt.url}${sep}autostart=1`, { timeout: 15000 });
  if (opt.beforeConnect) await opt.beforeConnect(page);
  await page.waitForFunction(() => document.body.dataset.state === 'connected',
    { timeout: opt.timeoutMs });
  result.connected = true;
  if (opt.snapshot) {
    await page.waitForFunction(() => Number(document.body.dataset.keyframes || 0) >= 1,
      { timeout: opt.timeoutMs });
    await page.click('#snapshot');
  }
  await page.waitForFunction((n) => Number(document.body.dataset.keyframes || 0) >= n,
    { timeout: opt.timeoutMs }, opt.keyframes);
  result.keyframes = Number(await page.evaluate(() => document.body.dataset.keyframes));
  result.journey = await page.evaluate(() =>
    Array.from(document.querySelectorAll('[data-step]')).map((e) => e.getAttribute('data-step')));
  result.sent = await page.evaluate(async () => {
    const out = [];
    const conn = window.boltrtcPeerConnection;
    if (!conn) return out;
    (await conn.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video')
        out.push({ width: s.frameWidth, height: s.frameHeight, ssrc: s.ssrc });
    });
    return out;
  });
  result.offer = await page.evaluate(() => window.boltrtcPeerConnection?.localDescription?.sdp ?? '');
  if (opt.screenshot) await page.screenshot({ path: opt.screenshot, fullPage: true });
  if (opt.reload) await checkReload(page, opt, result);
}

// Issue 7: each thumbnail links to its whole JPEG, and a reload restores the gallery from
// /api/status (as earlier keyframes, not counted for the new connection).
async function checkReload(page, opt, result) {
  const links = await page.evaluate(() =>
    Array.from(document.querySelectorAll('#gallery figure a')).map((a) => a.getAttribute('href')));
  result.links = links;
  await page.goto(opt.url, { timeout: 15000 });
  await page.waitForFunction((n) => document.querySelectorAll('#gallery figure[data-restored]').length >= n,
    { timeout: 10000 }, result.keyframes);
  result.restored = await page.evaluate(() => ({
    figures: document.querySelectorAll('#gallery figure[data-restored]').length,
    counted: Number(document.body.dataset.keyframes || 0),
    links: Array.from(document.querySelectorAll('#gallery figure[data-restored] a')).map((a) => a.getAttribute('href')),
    loaded: Array.from(document.querySelectorAll('#gallery figure[data-restored] img'))
      .every((img) => img.complete),
  }));
}

// Command-line options shared by the drivers.
export function parseArgs(argv) {
  const out = { keyframes: 1, timeoutMs: 60000 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    if (k === '--url') { out.url = v; i++; }
    else if (k === '--y4m') { out.y4m = v; i++; }
    else if (k === '--keyframes') { out.keyframes = Number(v); i++; }
    else if (k === '--timeout-ms') { out.timeoutMs = Number(v); i++; }
    else if (k === '--screenshot') { out.screenshot = v; i++; }
    else if (k === '--shots') { out.shots = v; i++; }
    else if (k === '--preview-dir') { out.previewDir = v; i++; }
    else if (k === '--snapshot') { out.snapshot = true; }
    else if (k === '--reload') { out.reload = true; }
    else if (k === '--canvas-rgb') { out.canvasRgb = v; i++; }
    else if (k === '--canvas-size') { out.canvasSize = v; i++; }
    else if (k === '--messages') { out.messages = Number(v); i++; }
    else if (k === '--unknown-name') { out.unknownName = v; i++; }
    else if (k === '--frame-out') { out.frameOut = v; i++; }
    else if (k === '--echo') { out.echo = true; }
    else if (k === '--codec') { out.codec = v; i++; }
    else if (k === '--tracks') { out.tracks = Number(v); i++; }
    else if (k === '--hold-ms') { out.holdMs = Number(v); i++; }
    else if (k === '--labels') { out.labels = v.split(','); i++; }
    else throw new Error(`unknown argument ${k}`);
  }
  if (!out.url) throw new Error('--url is required');
  return out;
}

// Runs main(result, logs) and prints the result as one JSON line; exit code 0 if it passed.
export async function report(main) {
  const logs = [];
  const result = { ok: false };
  try {
    await main(result, logs);
    result.ok = true;
  } catch (e) {
    result.error = String(e && e.message ? e.message : e).split('\n')[0];
  }
  result.logs = logs.slice(-40);
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.ok ? 0 : 1);
}
