// Launches Debian's Chromium, headless, through playwright-core, with a fake camera playing a
// .y4m still picture. README.md in this folder says why each flag.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// opts.reach: IP addresses the page may load from besides 127.0.0.1 (the NAT lab's servers);
// every other name stays unresolvable. opts.mdns: leave WebRtcHideLocalIpsWithMdns on and grant
// no camera (the fake UI would), so the page's host candidates are .local names (mdns_e2e.py).
function chromiumFlags(y4m, userDataDir, opts = {}) {
  const reach = opts.reach || [];
  return [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    `--user-data-dir=${userDataDir}`,
    ...(opts.mdns ? [] : ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-video-capture=${y4m}`]),
    '--allow-loopback-in-peer-connection',
    `--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost${reach.map((a) => ` , EXCLUDE ${a}`).join('')}`,
    `--disable-features=${opts.mdns ? '' : 'WebRtcHideLocalIpsWithMdns,'}Translate,MediaRouter,OptimizationHints,NetworkTimeServiceQuerying,AutofillServerCommunication,CertificateTransparencyComponentUpdater,DialMediaRouteProvider,GlobalMediaControls`,
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-default-apps', '--disable-extensions', '--disable-breakpad', '--no-first-run',
    '--no-default-browser-check', '--no-pings', '--metrics-recording-only',
    '--password-store=basic', '--use-mock-keychain', '--mute-audio',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows', '--disable-quic',
    '--remote-debugging-pipe',
  ];
}

// A fresh Chromium with its own profile; close() ends it and removes the profile.
export async function launchChromium(y4m, opts = {}) {
  const userDataDir = mkdtempSync(join(tmpdir(), 'boltrtc-chromium-'));
  try {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      ignoreDefaultArgs: true,
      args: chromiumFlags(y4m, userDataDir, opts),
      timeout: 30000,
    });
    return {
      browser,
      close: async () => {
        await browser.close().catch(() => {});
        rmSync(userDataDir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(userDataDir, { recursive: true, force: true });
    throw e;
  }
}

// Runs body(page) in a fresh Chromium and profile, both gone afterwards. page.waitForFunction
// is given puppeteer's argument order (fn, options, arg), which page.mjs uses for both browsers.
export function puppeteerWaitOrder(page) {
  const wait = page.waitForFunction.bind(page);
  page.waitForFunction = (fn, options, arg) => wait(fn, arg, options);
  return page;
}

export async function withChromium(y4m, body, opts = {}) {
  const chrome = await launchChromium(y4m, opts);
  try {
    const page = puppeteerWaitOrder(await chrome.browser.newPage());
    return await body(page);
  } finally {
    await chrome.close();
  }
}
