// ICE restart on a live call to serve from its own page (e2e_restart_chromium): /?autostart=1
// publishes the fake camera over the page's WebSocket signaling; once a keyframe is saved,
// pc.restartIce(). The page sends the new offer on the same WebSocket, the server answers on
// the same session, and ICE must select a pair of the new generation (the transport's local
// ufrag changes) while DTLS stays up and more keyframes are saved.
// Usage: node restart_page.mjs --url URL --y4m FILE --timeout-ms MS
// Prints one JSON line (page.mjs report).
import { withChromium } from './chromium.mjs';
import { parseArgs, report } from './page.mjs';

const opt = parseArgs(process.argv.slice(2));

async function transport(page) {
  return page.evaluate(async () => {
    const conn = window.boltrtcPeerConnection;
    if (!conn) return null;
    const st = await conn.getStats();
    let out = null;
    st.forEach((t) => {
      if (t.type === 'transport')
        out = { ufrag: t.iceLocalUsernameFragment, dtls: t.dtlsState, ice: t.iceState,
                pairChanges: t.selectedCandidatePairChanges, state: conn.connectionState };
    });
    return out;
  });
}

async function saved(page) {
  return page.evaluate(async () => (await (await fetch('/api/status')).json()).keyframes.length);
}

async function until(cond, ms, what) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

await report((result, logs) => withChromium(opt.y4m, async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(opt.url, { timeout: 15000 });
  await until(async () => (await transport(page))?.state === 'connected' && (await saved(page)) >= 1,
              opt.timeoutMs, 'a connected call with a saved keyframe');
  result.before = await transport(page);
  result.keyframesBefore = await saved(page);
  await page.evaluate(() => window.boltrtcPeerConnection.restartIce());
  await until(async () => {
    const t = await transport(page);
    return t && t.ufrag !== result.before.ufrag && t.state === 'connected';
  }, opt.timeoutMs, 'a pair of the new ICE generation');
  result.after = await transport(page);
  await until(async () => (await saved(page)) >= result.keyframesBefore + 2, opt.timeoutMs,
              'two more keyframes after the restart');
  result.keyframesAfter = await saved(page);
}));
