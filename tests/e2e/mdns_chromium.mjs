// Chromium, with no camera asked for (so it hides its addresses behind mDNS .local names,
// draft-ietf-mmusic-mdns-ice-candidates), opens one "echo" data channel to `boltrtc serve`
// over /ws, trickling its candidates, and sends a few messages that must come back. Prints
// one JSON line with the candidates it gathered and the remote candidate of its selected pair.
// It also trickles one host candidate whose .local name nobody answers, and keeps the session
// open for --hold-ms after the echoes, so serve gives that name up while the session lives.
// Usage: node mdns_chromium.mjs --url URL --timeout-ms MS --unknown-name NAME --hold-ms MS
import { withChromium } from './chromium.mjs';
import { parseArgs, report } from './page.mjs';
import { wsSignal } from './ws_signal.mjs';

const opt = parseArgs(process.argv.slice(2));

async function run({ timeoutMs, unknownName, holdMs }) {
  const conn = new RTCPeerConnection({ iceServers: [] });
  const ch = conn.createDataChannel('echo');
  const gathered = [];
  const { ws, errors } = await window.boltrtcSignal(conn, {
    onCandidate: (c) => { if (c) gathered.push(c.candidate); } });
  ws.send(JSON.stringify({ type: 'candidate', sdpMid: '0',
    candidate: `candidate:999 1 udp 2113937151 ${unknownName} 9 typ host generation 0` }));
  const until = Date.now() + timeoutMs;
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  while (ch.readyState !== 'open' && Date.now() < until) await sleep(20);
  if (ch.readyState !== 'open') throw new Error(`channel not open in time: ${errors}`);
  const back = [];
  ch.onmessage = (ev) => back.push(ev.data);
  for (let i = 0; i < 10; i++) ch.send(`mdns ${i}`);
  while (back.length < 10 && Date.now() < until) await sleep(10);
  await sleep(holdMs);
  for (let i = 10; i < 20; i++) ch.send(`mdns ${i}`); // the session still works
  while (back.length < 20 && Date.now() < until) await sleep(10);
  let local = null, remote = null;
  const stats = await conn.getStats();
  stats.forEach((s) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) {
      const pair = stats.get(s.selectedCandidatePairId);
      local = stats.get(pair.localCandidateId);
      remote = stats.get(pair.remoteCandidateId);
    }
  });
  ch.close();
  ws.send(JSON.stringify({ type: 'bye' }));
  conn.close();
  return { gathered, back, errors, selectedLocal: local && { address: local.address,
    candidateType: local.candidateType, protocol: local.protocol },
    selectedRemote: remote && { address: remote.address, port: remote.port } };
}

await report((result, logs) => withChromium('/dev/null', async (page) => {
  page.on('console', (m) => logs.push(`console.${m.type()}: ${m.text()}`));
  await page.addInitScript(wsSignal);
  await page.goto(opt.url, { timeout: 15000 });
  Object.assign(result, await page.evaluate(run, { timeoutMs: opt.timeoutMs,
    unknownName: opt.unknownName, holdMs: opt.holdMs }));
  if (result.back.length !== 20) throw new Error(`${result.back.length} of 20 echoes came back`);
}, { mdns: true }));
