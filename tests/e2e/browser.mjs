// Drives Debian's Chromium, headless, through playwright-core: opens the boltrtc page with
// ?autostart=1, its fake camera fed from a .y4m still picture, and waits until the page reports
// the wanted number of keyframes saved. Prints one JSON line with what the page showed.
// Usage: node browser.mjs --url URL --y4m FILE --keyframes N --timeout-ms MS [--screenshot PNG] [--snapshot]
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function args() {
  const out = { keyframes: 1, timeoutMs: 60000 };
  const a = process.argv.slice(2);
  for (let i = 0; i < a.length; i++) {
    const k = a[i];
    const v = a[i + 1];
    if (k === '--url') { out.url = v; i++; }
    else if (k === '--y4m') { out.y4m = v; i++; }
    else if (k === '--keyframes') { out.keyframes = Number(v); i++; }
    else if (k === '--timeout-ms') { out.timeoutMs = Number(v); i++; }
    else if (k === '--screenshot') { out.screenshot = v; i++; }
    else if (k === '--snapshot') { out.snapshot = true; }
    else throw new Error(`unknown argument ${k}`);
  }
  if (!out.url || !out.y4m) throw new Error('--url and --y4m are required');
  return out;
}

// The flags that work on these machines (shared/docs/browser-testing.md).
function chromiumFlags(y4m, userDataDir) {
  return [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    `--user-data-dir=${userDataDir}`,
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${y4m}`,
    '--allow-loopback-in-peer-connection',
    '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost',
    '--disable-features=WebRtcHideLocalIpsWithMdns,Translate,MediaRouter,OptimizationHints,NetworkTimeServiceQuerying,AutofillServerCommunication,CertificateTransparencyComponentUpdater,DialMediaRouteProvider,GlobalMediaControls',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions', '--disable-breakpad', '--no-first-run',
    '--no-default-browser-check', '--no-pings', '--metrics-recording-only',
    '--password-store=basic', '--use-mock-keychain', '--mute-audio',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows', '--disable-quic',
    '--remote-debugging-pipe',
  ];
}

async function main() {
  const opt = args();
  const userDataDir = mkdtempSync(join(tmpdir(), 'boltrtc-chromium-'));
  let browser;
  const logs = [];
  const result = { ok: false };
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      ignoreDefaultArgs: true,
      args: chromiumFlags(opt.y4m, userDataDir),
      timeout: 30000,
    });
    const page = await browser.newPage();
    page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
    const sep = opt.url.includes('?') ? '&' : '?';
    await page.goto(`${opt.url}${sep}autostart=1`, { timeout: 15000 });
    await page.waitForFunction(() => document.body.dataset.state === 'connected', null,
      { timeout: opt.timeoutMs });
    result.connected = true;
    if (opt.snapshot) {
      // One keyframe on connect, then the Snapshot button asks for another.
      await page.waitForFunction(() => Number(document.body.dataset.keyframes || 0) >= 1, null,
        { timeout: opt.timeoutMs });
      await page.click('#snapshot');
    }
    await page.waitForFunction((n) => Number(document.body.dataset.keyframes || 0) >= n,
      opt.keyframes, { timeout: opt.timeoutMs });
    result.keyframes = Number(await page.evaluate(() => document.body.dataset.keyframes));
    result.journey = await page.evaluate(() =>
      Array.from(document.querySelectorAll('[data-step]')).map((e) => e.getAttribute('data-step')));
    if (opt.screenshot) await page.screenshot({ path: opt.screenshot, fullPage: true });
    result.ok = true;
  } catch (e) {
    result.error = String(e && e.message ? e.message : e).split('\n')[0];
  } finally {
    result.logs = logs.slice(-40);
    if (browser) await browser.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(result.ok ? 0 : 1);
}

main();
