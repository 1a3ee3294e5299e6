// Chromium publishes two video tracks in one offer: its fake camera (a .y4m still picture) and
// a canvas's captureStream painted with a second known picture (raw RGB from
// still_picture.py --mirror --rgb-out). The page's own client sends one camera, so this driver
// speaks the server's /ws signaling itself from the page (ws_messages.h). It waits until
// --keyframes keyframes of each track are saved and prints one JSON line: the mids, the
// keyframe messages, the offer and answer. --codec h264 makes both transceivers prefer H.264
// (packetization-mode 1, with RTX) instead of VP8; --tracks 1 sends the camera alone.
// Usage: node two_tracks.mjs --url URL --y4m FILE --canvas-rgb FILE --canvas-size WxH --timeout-ms MS
//        [--codec vp8|h264] [--tracks 1|2] [--keyframes N] [--hold-ms MS]
// --hold-ms keeps publishing at least that long (under loss, so that repair is exercised).
import { readFileSync } from 'node:fs';
import { withChromium } from './chromium.mjs';
import { parseArgs, report } from './page.mjs';
import { wsSignal } from './ws_signal.mjs';

const opt = parseArgs(process.argv.slice(2));
if (!opt.y4m || !opt.canvasRgb || !opt.canvasSize) throw new Error('--y4m, --canvas-rgb, --canvas-size needed');
const codec = opt.codec ?? 'vp8';
const tracks = opt.tracks ?? 2;
if (!['vp8', 'h264'].includes(codec) || ![1, 2].includes(tracks)) throw new Error('bad --codec or --tracks');
const [cw, ch] = opt.canvasSize.split('x').map(Number);
const rgb = readFileSync(opt.canvasRgb).toString('base64');

async function publish({ rgb, cw, ch, timeoutMs, codec, tracks, want, holdMs }) {
  const canvas = document.createElement('canvas');
  canvas.width = cw;
  canvas.height = ch;
  const ctx = canvas.getContext('2d');
  const bytes = atob(rgb);
  const img = ctx.createImageData(cw, ch);
  for (let i = 0, j = 0; i < cw * ch; i++, j += 3) {
    img.data[4 * i] = bytes.charCodeAt(j);
    img.data[4 * i + 1] = bytes.charCodeAt(j + 1);
    img.data[4 * i + 2] = bytes.charCodeAt(j + 2);
    img.data[4 * i + 3] = 255;
  }
  // A canvas stream makes a frame when the canvas is painted: paint the same picture on.
  const paint = () => ctx.putImageData(img, 0, 0);
  paint();
  const painter = setInterval(paint, 33);
  const screen = canvas.captureStream(30).getVideoTracks()[0];
  const camera = (await navigator.mediaDevices.getUserMedia({ video: true })).getVideoTracks()[0];
  const conn = new RTCPeerConnection({ iceServers: [], bundlePolicy: 'max-bundle' });
  window.boltrtcPeerConnection = conn;
  // Only the codec under test (and RTX for it): the server answers with what is offered.
  const wanted = (c) => /rtx/i.test(c.mimeType) || (codec === 'h264'
    ? /H264/i.test(c.mimeType) && /packetization-mode=1/.test(c.sdpFmtpLine ?? '')
    : /VP8/i.test(c.mimeType));
  const prefs = RTCRtpSender.getCapabilities('video').codecs.filter(wanted);
  const transceivers = [camera, screen].slice(0, tracks).map((t) => {
    const tr = conn.addTransceiver(t, { direction: 'sendonly' });
    tr.setCodecPreferences(prefs);
    return tr;
  });
  const keyframes = [];
  const { ws, errors } = await window.boltrtcSignal(conn, {
    onMessage: (m) => { if (m.type === 'keyframe') keyframes.push(m); } });
  const mids = transceivers.map((t) => t.mid);
  const until = Date.now() + timeoutMs, held = Date.now() + holdMs;
  const count = (mid) => keyframes.filter((k) => k.mid === mid).length;
  while (Date.now() < until && (Date.now() < held || !mids.every((mid) => count(mid) >= want)))
    await new Promise((r) => setTimeout(r, 100));
  clearInterval(painter);
  const sent = [];
  const stats = await conn.getStats();
  stats.forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'video')
      sent.push({ mid: s.mid, width: s.frameWidth, height: s.frameHeight, ssrc: s.ssrc,
                  codec: stats.get(s.codecId)?.mimeType, encoder: s.encoderImplementation,
                  nackCount: s.nackCount, pliCount: s.pliCount,
                  retransmittedPackets: s.retransmittedPacketsSent });
  });
  ws.send(JSON.stringify({ type: 'bye' }));
  conn.close();
  return { mids, keyframes, errors, sent, offer: conn.localDescription.sdp,
           answer: conn.remoteDescription?.sdp ?? '' };
}

await report((result, logs) => withChromium(opt.y4m, async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.addInitScript(wsSignal);
  await page.goto(opt.url, { timeout: 15000 });
  const out = await page.evaluate(publish, { rgb, cw, ch, timeoutMs: opt.timeoutMs, codec,
                                             tracks, want: opt.keyframes,
                                             holdMs: opt.holdMs ?? 0 });
  Object.assign(result, out);
  for (const mid of out.mids)
    if (out.keyframes.filter((k) => k.mid === mid).length < opt.keyframes)
      throw new Error(`fewer than ${opt.keyframes} keyframes of track ${mid}: ` +
                      `${JSON.stringify(out.keyframes)} ${out.errors}`);
}));
