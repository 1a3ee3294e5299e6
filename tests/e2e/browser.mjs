// Drives Debian's Chromium, headless, through playwright-core: the boltrtc page with
// ?autostart=1, its fake camera fed from a .y4m still picture (page.mjs does the rest).
// Usage: node browser.mjs --url URL --y4m FILE --keyframes N --timeout-ms MS [--screenshot PNG] [--snapshot]
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, report, runJourney } from './page.mjs';

// The flags that work on these machines (tests/e2e/README.md says why).
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

const opt = parseArgs(process.argv.slice(2));
if (!opt.y4m) throw new Error('--y4m is required');
await report(async (result, logs) => {
  const userDataDir = mkdtempSync(join(tmpdir(), 'boltrtc-chromium-'));
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      ignoreDefaultArgs: true,
      args: chromiumFlags(opt.y4m, userDataDir),
      timeout: 30000,
    });
    // playwright's waitForFunction takes (fn, arg, options); page.mjs calls it puppeteer's way.
    const page = await browser.newPage();
    const wait = page.waitForFunction.bind(page);
    page.waitForFunction = (fn, options, arg) => wait(fn, arg, options);
    await runJourney(page, opt, result, logs);
  } finally {
    if (browser) await browser.close().catch(() => {});
    rmSync(userDataDir, { recursive: true, force: true });
  }
});
