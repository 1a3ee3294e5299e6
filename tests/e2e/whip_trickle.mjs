// Chromium as a WHIP client that trickles (RFC 9725 4.3, RFC 8840): its offer goes out at
// once, before gathering ends and with every candidate line taken out; its candidates follow
// by PATCH (If-Match: the ETag), with end-of-candidates. The server's candidates are taken out
// of the answer too, so the browser knows none: the session can only connect through the
// server's own checks to the candidates it was PATCHed. A second connection posts the same
// way and PATCHes nothing: the control, which must not connect. Once keyframes are saved,
// pc.restartIce(): the new credentials go by PATCH with If-Match "*", the server's new ones
// come back in its fragment (200, a new ETag), the new candidates are PATCHed again, and
// ICE must select a pair of the new generation while frames go on.
// Usage: node whip_trickle.mjs --url URL --y4m FILE --timeout-ms MS
// Prints one JSON line (page.mjs report).
import { withChromium } from './chromium.mjs';
import { parseArgs, report } from './page.mjs';

const opt = parseArgs(process.argv.slice(2));

async function run({ timeoutMs }) {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const lines = (sdp) => sdp.split('\r\n');
  const strip = (sdp) => lines(sdp).filter((l) => !l.startsWith('a=candidate:') &&
                                                   l !== 'a=end-of-candidates').join('\r\n');
  const value = (sdp, key) => (lines(sdp).find((l) => l.startsWith(key)) ?? '').slice(key.length);
  const until = async (cond, ms, what) => {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await sleep(50);
    }
  };
  const camera = (await navigator.mediaDevices.getUserMedia({ video: true })).getVideoTracks()[0];

  // One WHIP session whose candidates are kept back; trickle() PATCHes them.
  async function publish() {
    const conn = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    conn.addTransceiver(camera.clone(), { direction: 'sendonly' });
    const s = { conn, pending: [], gathered: false, patched: 0, statuses: [] };
    conn.onicecandidate = (e) => { if (e.candidate) s.pending.push(e.candidate); else s.gathered = true; };
    await conn.setLocalDescription(await conn.createOffer());
    s.offer = conn.localDescription.sdp;
    const post = await fetch('/whip', { method: 'POST', body: strip(s.offer),
                                        headers: { 'Content-Type': 'application/sdp' } });
    if (post.status !== 201) throw new Error(`POST /whip: ${post.status} ${await post.text()}`);
    s.etag = post.headers.get('ETag');
    s.location = post.headers.get('Location');
    s.session = post.headers.get('Boltrtc-Session');
    s.answer = await post.text();
    s.ufrag = value(s.offer, 'a=ice-ufrag:');
    s.pwd = value(s.offer, 'a=ice-pwd:');
    await conn.setRemoteDescription({ type: 'answer', sdp: strip(s.answer) });
    return s;
  }
  const mline = (s) => lines(s.offer).find((l) => l.startsWith('m='));
  const frag = (s, cands, end) =>
    `a=ice-ufrag:${s.ufrag}\r\na=ice-pwd:${s.pwd}\r\n${mline(s)}\r\na=mid:${value(s.offer, 'a=mid:')}\r\n` +
    cands.map((c) => `a=${c.candidate}\r\n`).join('') + (end ? 'a=end-of-candidates\r\n' : '');
  const patch = (s, body, ifMatch) => fetch(s.location, {
    method: 'PATCH', body,
    headers: { 'Content-Type': 'application/trickle-ice-sdpfrag', 'If-Match': ifMatch } });
  // Candidates as they come, in batches, until end-of-candidates has gone too.
  async function trickle(s) {
    const end = Date.now() + 15000;
    while (Date.now() < end) {
      const done = s.gathered;
      const batch = s.pending.splice(0);
      if (batch.length || done) {
        const r = await patch(s, frag(s, batch, done), s.etag);
        s.statuses.push(r.status);
        s.patched += batch.length;
      }
      if (done) return;
      await sleep(20);
    }
    throw new Error('gathering did not end');
  }
  const status = async () => (await fetch('/api/status')).json();
  const saved = async (s) => (await status()).keyframes.filter((k) => k.session === s.session).length;
  const pairOf = async (conn) => {
    const st = await conn.getStats();
    let out = null;
    st.forEach((t) => {
      if (t.type !== 'transport' || !t.selectedCandidatePairId) return;
      const p = st.get(t.selectedCandidatePairId);
      out = { local: st.get(p.localCandidateId)?.candidateType,
              remote: st.get(p.remoteCandidateId)?.candidateType,
              localPort: st.get(p.localCandidateId)?.port,
              ufrag: t.iceLocalUsernameFragment, changes: t.selectedCandidatePairChanges };
    });
    return out;
  };

  const main = await publish();
  const control = await publish();
  const offeredCandidates = lines(main.offer).filter((l) => l.startsWith('a=candidate:')).length;
  await trickle(main);
  await until(() => main.conn.connectionState === 'connected', timeoutMs, 'the trickled session to connect');
  const first = await pairOf(main.conn);
  await until(async () => (await saved(main)) >= 1, timeoutMs, 'a keyframe saved');
  const controlState = control.conn.iceConnectionState;
  const controlConnected = controlState === 'connected' || controlState === 'completed';
  control.conn.close();
  await fetch(control.location, { method: 'DELETE' });

  // ICE restart: new credentials by PATCH, If-Match "*"; the server's come back.
  const before = await saved(main);
  const oldEtag = main.etag;
  main.gathered = false;
  main.pending = [];
  main.conn.restartIce();
  await main.conn.setLocalDescription(await main.conn.createOffer());
  main.offer = main.conn.localDescription.sdp;
  main.ufrag = value(main.offer, 'a=ice-ufrag:');
  main.pwd = value(main.offer, 'a=ice-pwd:');
  const r = await patch(main, frag(main, [], false), '*');
  const restartStatus = r.status;
  const serverFrag = await r.text();
  if (r.status !== 200) throw new Error(`restart PATCH: ${r.status} ${serverFrag}`);
  main.etag = r.headers.get('ETag');
  const answer = strip(main.answer)
    .replace(/a=ice-ufrag:.*\r\n/g, `a=ice-ufrag:${value(serverFrag, 'a=ice-ufrag:')}\r\n`)
    .replace(/a=ice-pwd:.*\r\n/g, `a=ice-pwd:${value(serverFrag, 'a=ice-pwd:')}\r\n`);
  await main.conn.setRemoteDescription({ type: 'answer', sdp: answer });
  const patchedBefore = main.patched;
  await trickle(main);
  await until(async () => (await pairOf(main.conn))?.ufrag === main.ufrag &&
                           main.conn.connectionState === 'connected',
              timeoutMs, 'a pair of the new ICE generation');
  const second = await pairOf(main.conn);
  await until(async () => (await saved(main)) >= before + 2, timeoutMs,
              'two more keyframes saved after the restart');
  const after = await saved(main);
  main.conn.close();
  await fetch(main.location, { method: 'DELETE' });
  return { session: main.session, offeredCandidates, patched: patchedBefore,
           patchedAfterRestart: main.patched - patchedBefore, statuses: main.statuses,
           first, second, controlState, controlConnected, restartStatus, oldEtag,
           newEtag: main.etag, serverFrag, keyframesBefore: before, keyframesAfter: after,
           oldServerUfrag: value(main.answer, 'a=ice-ufrag:') };
}

await report((result, logs) => withChromium(opt.y4m, async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(opt.url, { timeout: 15000 });
  Object.assign(result, await page.evaluate(run, { timeoutMs: opt.timeoutMs }));
}));
