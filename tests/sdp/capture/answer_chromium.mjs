// Captures Chromium's answer to an offer (a boltrtc offer fixture): node answer_chromium.mjs
// OFFER.sdp ANSWER.sdp. Run in a loopback-only namespace (`unshare -rn`): Chromium gathers
// 127.0.0.1 only. The answer is kept byte for byte.
import { readFileSync, writeFileSync } from 'node:fs';
import { launchChromium } from '../../e2e/chromium.mjs';

const [offerPath, answerPath] = process.argv.slice(2);
const offer = readFileSync(offerPath, 'utf8');
const chrome = await launchChromium('/dev/null');
try {
  const page = await chrome.browser.newPage();
  const answer = await page.evaluate(async (sdp) => {
    const pc = new RTCPeerConnection();
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    await new Promise((done) => {
      if (pc.iceGatheringState === 'complete') return done();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && done();
      setTimeout(done, 3000);
    });
    const text = pc.localDescription.sdp;
    pc.close();
    return `${text}\n${navigator.userAgent}`;
  }, offer);
  const cut = answer.lastIndexOf('\n');
  writeFileSync(answerPath, answer.slice(0, cut));
  console.log(answer.slice(cut + 1));
} finally {
  await chrome.close();
}
