// Renegotiation with Chromium on a live connection (e2e_renegotiate): Chromium sends its fake
// camera to e2e_reneg_peer (boltrtc answering, no server between them); once frames flow, the
// page adds a second video track (a painted 320x240 canvas, as a page adds a screen) and
// offers again; boltrtc answers on the same ICE and DTLS, reports the new track, and its
// frames arrive, keyframes 320x240, while the camera's go on. Then the page stops that
// transceiver and offers again: the section goes to port 0 and its frames stop. Then boltrtc
// offers on the live connection itself (mid 0 recvonly, mid 1 stopped), Chromium answers and
// the camera goes on. Last, boltrtc's W3C stats report is read against Chromium's own
// getStats for the camera.
// Prints one JSON line.
// Usage: node reneg_chromium.mjs --peer PATH --udp ADDR --y4m FILE --timeout-ms MS
import { spawn } from 'node:child_process';
import { withChromium } from './chromium.mjs';
import { options, waitFor } from './cli.mjs';
import { report } from './page.mjs';

const opt = options({ timeoutMs: 30000 });

const PAGE = 'http://127.0.0.1:9/reneg.html';
const HTML = `<!doctype html><title>renegotiation</title><canvas id="c" width="320" height="240"></canvas>`;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

await report((result, logs) => withChromium(opt.y4m, async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  await page.route(PAGE, (route) => route.fulfill({ contentType: 'text/html', body: HTML }));
  await page.goto(PAGE);
  const child = spawn(opt.peer, [opt.udp], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let journal = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { journal += d; });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const lines = (re) => journal.split('\n').filter((l) => re.test(l));
  const frames = (mid) => lines(new RegExp(`^frame ${mid} `)).length;
  const keySizes = (mid) => lines(new RegExp(`^frame ${mid} \\d+x\\d+`)).map((l) => l.split(' ')[2]);

  // One offer from the page to the peer, its answer back: stable again on both sides.
  let exchanges = 0;
  async function negotiate() {
    const offer = await page.evaluate(async () => {
      await window.pc.setLocalDescription(await window.pc.createOffer());
      return window.pc.localDescription.sdp;
    });
    const at = out.length;
    child.stdin.write(offer + '.\n');
    exchanges++;
    await waitFor(() => out.indexOf('\n.\n', at) >= 0, opt.timeoutMs, `answer ${exchanges}`);
    const end = out.indexOf('\n.\n', at);
    const answer = out.slice(at, end + 1);
    if (!answer.startsWith('v=0')) throw new Error(`offer ${exchanges} refused: ${lines(/^refused/).join('; ')}`);
    await page.evaluate(async (sdp) => {
      await window.pc.setRemoteDescription({ type: 'answer', sdp });
    }, answer);
    return { offer, answer };
  }

  try {
    await page.evaluate(async () => {
      const stream = await navigator.mediaDevices.getUserMedia({ video: true });
      window.pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
      window.pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly' });
    });
    await negotiate();
    await waitFor(() => frames(0) >= 20, opt.timeoutMs, '20 camera frames on mid 0');

    // A second track on the live connection: a canvas painted 30 times a second.
    const camBefore = frames(0);
    const second = await negotiateAfter(async () => page.evaluate(() => {
      const c = document.getElementById('c');
      const g = c.getContext('2d');
      let n = 0;
      setInterval(() => {
        g.fillStyle = `hsl(${(n * 7) % 360}, 80%, 50%)`;
        g.fillRect(0, 0, 320, 240);
        g.fillStyle = '#fff';
        g.fillRect((n * 4) % 300, 100, 20, 40);
        n++;
      }, 33);
      window.screenTx = window.pc.addTransceiver(c.captureStream(30).getVideoTracks()[0],
        { direction: 'sendonly' });
    }));
    result.secondOfferMids = (second.offer.match(/^a=mid:.*$/gm) || []).map((l) => l.trim());
    await waitFor(() => lines(/^track 1 /).length === 1, opt.timeoutMs, 'the track event for mid 1');
    await waitFor(() => frames(1) >= 30, opt.timeoutMs, '30 canvas frames on mid 1');
    result.canvasKeyframes = keySizes(1);
    result.cameraFramesDuring = frames(0) - camBefore;
    if (!result.canvasKeyframes.length || !result.canvasKeyframes.every((k) => k === '320x240'))
      throw new Error(`canvas keyframes ${JSON.stringify(result.canvasKeyframes)}, want 320x240`);
    if (result.cameraFramesDuring < 30) throw new Error(`the camera stalled: ${result.cameraFramesDuring}`);
    if (!keySizes(0).every((k) => k === '640x480')) throw new Error(`camera keyframes ${keySizes(0)}`);

    // The page stops the canvas: its section goes to port 0 and its frames stop.
    const third = await negotiateAfter(async () => page.evaluate(() => window.screenTx.stop()));
    result.thirdAnswerRejects = /^m=video 0 /m.test(third.answer);
    if (!result.thirdAnswerRejects) throw new Error('the answer keeps the stopped section open');
    await sleep(1000);
    const canvasAfterStop = frames(1);
    const camAfterStop = frames(0);
    await sleep(2000);
    result.canvasFramesAfterStop = frames(1) - canvasAfterStop;
    result.cameraFramesAfterStop = frames(0) - camAfterStop;
    if (result.canvasFramesAfterStop !== 0) throw new Error(`canvas frames after stop: ${result.canvasFramesAfterStop}`);
    if (result.cameraFramesAfterStop < 30) throw new Error(`the camera stalled after stop: ${result.cameraFramesAfterStop}`);

    // Now boltrtc offers on the live connection (its stopped section included), Chromium
    // answers, and the camera goes on.
    const at = out.length;
    child.stdin.write('offer\n.\n');
    await waitFor(() => out.indexOf('\n.\n', at) >= 0, opt.timeoutMs, 'our offer');
    const ourOffer = out.slice(at, out.indexOf('\n.\n', at) + 1);
    if (!ourOffer.startsWith('v=0')) throw new Error(`no offer: ${lines(/^refused/).join('; ')}`);
    result.ourOfferSections = ourOffer.split('\r\n').filter((l) => /^(m=|a=mid|a=recvonly|a=inactive)/.test(l));
    const theirAnswer = await page.evaluate(async (sdp) => {
      await window.pc.setRemoteDescription({ type: 'offer', sdp });
      await window.pc.setLocalDescription(await window.pc.createAnswer());
      return window.pc.localDescription.sdp;
    }, ourOffer);
    child.stdin.write(theirAnswer + '.\n');
    await waitFor(() => lines(/^(answered ours|refused)/).length > 0, opt.timeoutMs, 'our offer answered');
    if (!lines(/^answered ours/).length) throw new Error(`their answer refused: ${lines(/^refused/)}`);
    if (result.ourOfferSections.join(' ').replace(/^m=video \d+ /, 'm=video PORT ') !==
        'm=video PORT UDP/TLS/RTP/SAVPF 96 97 a=mid:0 a=recvonly m=video 0 UDP/TLS/RTP/SAVPF 96 a=mid:1 a=inactive')
      throw new Error(`our offer's sections: ${result.ourOfferSections}`);
    const camAfterOurs = frames(0);
    await sleep(2000);
    result.cameraFramesAfterOurOffer = frames(0) - camAfterOurs;
    if (result.cameraFramesAfterOurOffer < 30) throw new Error(`the camera stalled after our offer: ${result.cameraFramesAfterOurOffer}`);

    // Our stats beside Chromium's, for the camera's stream (read within a few ms).
    const theirs = await page.evaluate(async () => {
      let o = null;
      (await window.pc.getStats()).forEach((s) => {
        if (s.type === 'outbound-rtp' && s.mid === '0') o = { packetsSent: s.packetsSent, ssrc: s.ssrc };
      });
      return o;
    });
    const statsAt = lines(/^stats /).length;
    child.kill('SIGUSR1');
    await waitFor(() => lines(/^stats /).length > statsAt, 5000, 'the stats report');
    const ours = JSON.parse(lines(/^stats /)[statsAt].slice(6));
    const inbound = ours.filter((e) => e.type === 'inbound-rtp');
    const cam = inbound.find((e) => e.mid === '0');
    result.stats = { theirs, ours: cam && { packetsReceived: cam.packetsReceived, ssrc: cam.ssrc },
                     inboundMids: inbound.map((e) => e.mid) };
    if (!cam || cam.ssrc !== theirs.ssrc) throw new Error('no inbound-rtp for the camera\'s SSRC');
    if (Math.abs(cam.packetsReceived - theirs.packetsSent) > 50 + theirs.packetsSent * 0.05)
      throw new Error(`packets: ours ${cam.packetsReceived}, Chromium sent ${theirs.packetsSent}`);
    const transport = ours.find((e) => e.type === 'transport');
    if (!transport || transport.dtlsState !== 'connected') throw new Error('transport not connected');
    result.exchanges = exchanges;
    result.steps = lines(/^step (dtls-connected|ice-connected)/).length;
    if (result.steps !== 2) throw new Error(`ICE or DTLS went through again: ${lines(/^step /)}`);
  } finally {
    child.kill('SIGINT');
    const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 5000))]);
    if (!end) child.kill('SIGKILL');
    result.exit = end;
    result.journal = lines(/^(step|track|log|answer|refused)/).slice(0, 40);
  }
  if (!result.exit || result.exit.code !== 0) throw new Error(`the peer exited ${JSON.stringify(result.exit)}`);

  // A change on the page, then its negotiationneeded's offer (W3C: the page offers).
  async function negotiateAfter(change) {
    await change();
    return negotiate();
  }
}));
