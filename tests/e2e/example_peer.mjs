// Runs examples/receive_video against Chromium, with no server between them: the page's offer
// goes to the example's stdin, the example's stdout (the answer, and nothing else) goes to the
// page's setRemoteDescription. Passes when the page is connected and the example reports a
// keyframe and 30 delta frames; then SIGINT must end the example with exit code 0.
// Prints one JSON line. The page is served by playwright itself (page.route) on 127.0.0.1, a
// secure context for getUserMedia.
// Usage: node example_peer.mjs --example PATH --udp ADDR --y4m FILE --timeout-ms MS
import { spawn } from 'node:child_process';
import { withChromium } from './chromium.mjs';
import { options, waitFor } from './cli.mjs';
import { report } from './page.mjs';

const opt = options({ timeoutMs: 30000 });

const PAGE = 'http://127.0.0.1:9/example.html';
const HTML = `<!doctype html><title>receive_video</title><video id="v" autoplay muted></video>`;


await report((result, logs) => withChromium(opt.y4m, async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  await page.route(PAGE, (route) => route.fulfill({ contentType: 'text/html', body: HTML }));
  await page.goto(PAGE);
  const offer = await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: true });
    const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    window.pc = pc;
    pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription.sdp;
  });
  const child = spawn(opt.example, [opt.udp], { stdio: ['pipe', 'pipe', 'pipe'] });
  let answer = '';
  let journal = '';
  let stdoutClosed = false;
  child.stdout.on('data', (d) => { answer += d; });
  child.stdout.on('end', () => { stdoutClosed = true; });
  child.stderr.on('data', (d) => { journal += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, sig) => resolve({ code, sig })));
  try {
    child.stdin.end(offer);
    await waitFor(() => stdoutClosed, 10000, 'the answer on stdout');
    result.answerEndsWithOneCrlf = answer.endsWith('\r\n') && !answer.endsWith('\r\n\n');
    await page.evaluate((sdp) => window.pc.setRemoteDescription({ type: 'answer', sdp }), answer);
    await page.waitForFunction(() => window.pc.connectionState === 'connected', { timeout: opt.timeoutMs });
    const keyframes = () => (journal.match(/^frame VP8 keyframe (\d+)x(\d+)/gm) || []);
    await waitFor(() => keyframes().length >= 1, opt.timeoutMs, 'a keyframe from the example');
    // Delta frames after it show that frames keep flowing and are assembled.
    await waitFor(() => (journal.match(/^frame VP8 \d+ bytes/gm) || []).length >= 30, opt.timeoutMs,
      '30 delta frames from the example');
    result.keyframes = keyframes();
    result.frames = (journal.match(/^frame /gm) || []).length;
  } finally {
    child.kill('SIGINT');
    const end = await Promise.race([exited, new Promise((r) => setTimeout(() => r(null), 5000))]);
    if (!end) child.kill('SIGKILL');
    result.exit = end;
    result.journal = journal.split('\n').filter((l) => l.startsWith('step')).slice(0, 20);
  }
  if (!result.exit || result.exit.code !== 0) throw new Error(`example exited ${JSON.stringify(result.exit)}`);
}));
