// boltrtc offers, Chromium answers: examples/offer_datachannel writes its offer (a data
// channel "echo") on stdout; the page answers it, echoes every message on that channel as it
// came (text as text, binary as binary), and the program checks each echo byte for byte.
// Run it through offer_aiortc.py --answerer chromium, which makes the loopback-only namespace.
// Usage: node offer_chromium.mjs EXAMPLE MESSAGES MAX_SIZE TIMEOUT_S
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { launchChromium } from './chromium.mjs';

const [example, messages, maxSize, timeoutS] = process.argv.slice(2);
const proc = spawn(example, ['127.0.0.1:0', messages, maxSize], { stdio: ['pipe', 'pipe', 'inherit'] });
const exited = new Promise((done) => proc.on('exit', (code) => done(code)));
const lines = createInterface({ input: proc.stdout });
let offer = '';
for await (const line of lines) {
  if (line.trim() === '.') break;
  offer += `${line}\n`;
}
console.log(`[offer_chromium] offer of ${offer.length} bytes from boltrtc`);
const chrome = await launchChromium('/dev/null');
let code = 1;
try {
  const page = await chrome.browser.newPage();
  const answer = await page.evaluate(async (sdp) => {
    const pc = new RTCPeerConnection();
    window.echoed = 0;
    pc.ondatachannel = ({ channel }) => {
      channel.binaryType = 'arraybuffer';
      channel.onmessage = ({ data }) => { window.echoed++; channel.send(data); };
    };
    window.pc = pc;
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription.sdp;
  }, offer);
  proc.stdin.write(`${answer}.\n`);
  const timer = setTimeout(() => proc.kill('SIGKILL'), Number(timeoutS) * 1000);
  code = await exited;
  clearTimeout(timer);
  const echoed = await page.evaluate(() => window.echoed);
  console.log(`[offer_chromium] Chromium echoed ${echoed} messages; program exit ${code}`);
} finally {
  await chrome.close();
  if (proc.exitCode === null) proc.kill('SIGKILL');
}
process.exit(code === 0 ? 0 : 1);
