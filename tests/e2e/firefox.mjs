// Drives Debian's firefox-esr, headless, through puppeteer-core over WebDriver BiDi (no browser
// download): the boltrtc page with ?autostart=1 and Firefox's fake camera (page.mjs does the
// journey). Firefox's fake camera is a generated picture whose colour drifts over time, not a
// file, so the driver also grabs what the page's own preview shows every 100 ms and writes the
// grabs to --preview-dir as <ms, 8 digits>.png (so that a glob lists them in time order); the test finds the grab that matches each saved keyframe.
// Usage: node firefox.mjs --url URL --keyframes N --timeout-ms MS --preview-dir DIR
//                         [--screenshot PNG] [--snapshot]
import puppeteer from 'puppeteer-core';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, report, runJourney } from './page.mjs';

// tests/e2e/README.md says why each pref: a generated fake camera; a real permission grant
// (without one Firefox gathers on the default route only, and a loopback-only namespace has
// none); candidates on lo, on every address, and no mDNS names; no network at start-up.
const FIREFOX_PREFS = {
  'media.navigator.streams.fake': true,
  'permissions.default.camera': 1,
  'permissions.default.microphone': 1,
  'media.peerconnection.ice.loopback': true,
  'media.peerconnection.ice.default_address_only': false,
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  'app.update.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'extensions.update.enabled': false,
};

const GRAB_MS = 100;
const MAX_GRABS = 300; // 30 s of preview, about 7 KiB each for the fake camera

// In the page: keep the last MAX_GRABS frames of the preview, with their time.
function startGrabbing(page) {
  return page.evaluate((every, max) => {
    window.boltrtcGrabs = [];
    setInterval(() => {
      const v = document.getElementById('preview');
      if (!v || !v.videoWidth) return;
      const c = document.createElement('canvas');
      c.width = v.videoWidth;
      c.height = v.videoHeight;
      c.getContext('2d').drawImage(v, 0, 0);
      window.boltrtcGrabs.push({ t: Math.round(performance.now()), png: c.toDataURL('image/png') });
      if (window.boltrtcGrabs.length > max) window.boltrtcGrabs.shift();
    }, every);
  }, GRAB_MS, MAX_GRABS);
}

const opt = parseArgs(process.argv.slice(2));
await report(async (result, logs) => {
  const profileDir = mkdtempSync(join(tmpdir(), 'boltrtc-firefox-'));
  let browser;
  try {
    browser = await puppeteer.launch({
      browser: 'firefox',
      executablePath: '/usr/bin/firefox-esr',
      headless: true,
      userDataDir: profileDir,
      extraPrefsFirefox: FIREFOX_PREFS,
      protocolTimeout: opt.timeoutMs + 30000,
      timeout: 30000,
    });
    const page = await browser.newPage();
    opt.beforeConnect = startGrabbing;
    await runJourney(page, opt, result, logs);
    if (opt.previewDir) {
      // Grabs go on for 5 s after the last keyframe, so that the test has a preview far enough
      // in time (the fake camera's colour drifts) to show that a wrong picture scores lower.
      await new Promise((r) => setTimeout(r, 5000));
      const grabs = await page.evaluate(() => window.boltrtcGrabs);
      mkdirSync(opt.previewDir, { recursive: true });
      for (const g of grabs)
        writeFileSync(join(opt.previewDir, `${String(g.t).padStart(8, "0")}.png`), Buffer.from(g.png.split(',')[1], 'base64'));
      result.grabs = grabs.length;
    }
  } finally {
    if (browser) await browser.close().catch(() => {});
    rmSync(profileDir, { recursive: true, force: true });
  }
});
