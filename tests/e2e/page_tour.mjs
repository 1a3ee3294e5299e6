// The page as a learner meets it (issue 7), in headless Chromium with its fake camera: before
// Connect the outline of the journey; after, one sequence of both sides' steps, each with its
// explanation and links (the chapter links resolve to a real section), the live counters
// growing, the SDP viewer, the inspector link and the gallery in view; after Hang up the
// server's closing steps and the summary. No console errors at any point. A screenshot of each
// stage goes to --shots DIR; the JSON line names them.
// Usage: node page_tour.mjs --url URL --y4m FILE --timeout-ms MS --shots DIR
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { withChromium } from './chromium.mjs';
import { parseArgs, report } from './page.mjs';

const opt = parseArgs(process.argv.slice(2));
if (!opt.y4m || !opt.shots) throw new Error('--y4m and --shots are required');
mkdirSync(opt.shots, { recursive: true });

function check(cond, what) {
  if (!cond) throw new Error(what);
}

// GitHub's heading anchors, as the page's chapter reader computes them (web/src/chapter.ts).
function slug(heading) {
  return heading.replace(/<!--.*?-->/g, '').trim().toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function shot(page, result, name) {
  const path = join(opt.shots, name);
  await page.screenshot({ path, fullPage: true });
  result.screenshots.push(path);
}

async function counters(page) {
  return page.evaluate(() => Object.fromEntries(Array.from(document.querySelectorAll('#counters [data-counter]'))
    .map((e) => [e.dataset.counter, Number(e.dataset.value)])));
}

async function journey(page) {
  return page.evaluate(() => Array.from(document.querySelectorAll('#sequence [data-step]')).map((e) => ({
    side: e.dataset.side, step: e.dataset.step, t: Number(e.dataset.t), known: e.dataset.known === '1',
    detail: e.querySelector('.detail')?.textContent ?? '',
    why: e.querySelector('.why')?.textContent ?? '',
    chapter: e.querySelector('a.chapter')?.getAttribute('href') ?? '',
    rfc: e.querySelector('a.rfc')?.getAttribute('href') ?? '',
  })));
}

async function tour(page, result, errors) {
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()} ${r.url()}`); });
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(opt.url, { timeout: 15000 });

  // Before Connect: the outline, a line each, and nothing happened yet.
  const outline = await page.evaluate(() => Array.from(document.querySelectorAll('#outline li')).map((li) => ({
    phase: li.dataset.phase, why: li.querySelector('.why')?.textContent ?? '',
    chapter: li.querySelector('a.chapter')?.getAttribute('href') ?? '',
    visible: li.getBoundingClientRect().height > 0,
  })));
  result.outline = outline.map((o) => o.phase);
  check(outline.length >= 6, `the outline has ${outline.length} phases before Connect`);
  check(outline.every((o) => o.visible && o.why.length > 20 && o.chapter), 'an outline phase lacks its line or chapter');
  check(await page.evaluate(() => document.querySelectorAll('#sequence li').length) === 0, 'steps before Connect');
  await shot(page, result, '1-before-connect.png');

  await page.click('#connect');
  await page.waitForFunction(() => document.body.dataset.state === 'connected', { timeout: opt.timeoutMs });
  await page.waitForFunction(() => Number(document.body.dataset.keyframes || 0) >= 1, { timeout: opt.timeoutMs });

  // Live counters: numbers that grow while connected, and the RTCP we send.
  await page.waitForFunction(() => Number(document.querySelector('#counters [data-counter="packets"]')?.dataset.value || 0) > 0,
    { timeout: 15000 });
  const first = await counters(page);
  await sleep(2500);
  await page.waitForFunction(() => ['rr_sent', 'remb_sent'].every((n) =>
    Number(document.querySelector(`#counters [data-counter="${n}"]`)?.dataset.value || 0) >= 1), { timeout: 15000 });
  const second = await counters(page);
  result.counters = { first, second };
  for (const name of ['packets', 'bytes', 'frames'])
    check(second[name] > first[name], `counter ${name} did not grow: ${first[name]} then ${second[name]}`);
  check(second.bitrate > 0, `bitrate ${second.bitrate} kbps`);
  check(second.video_ssrc > 0, 'no video SSRC among the counters');
  for (const name of ['lost', 'rtt', 'keyframes', 'plis_sent', 'nacks_sent'])
    check(Number.isFinite(second[name]), `no counter ${name}`);

  // The gallery stays in view, even with the page scrolled to its end.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  const gallery = await page.evaluate(() => {
    const r = document.querySelector('#gallery').getBoundingClientRect();
    return { top: r.top, height: window.innerHeight };
  });
  check(gallery.top >= 0 && gallery.top < gallery.height, `the gallery is out of view: ${JSON.stringify(gallery)}`);
  await page.evaluate(() => window.scrollTo(0, 0));

  // A Snapshot shows on both sides.
  await page.click('#snapshot');
  await page.waitForFunction(() => Number(document.body.dataset.keyframes || 0) >= 2, { timeout: opt.timeoutMs });
  await page.waitForFunction(() => document.querySelector('#sequence [data-side="server"][data-step="snapshot-requested"]') &&
    document.querySelector('#sequence [data-side="browser"][data-step="snapshot-requested"]'), { timeout: 10000 });
  await page.click('#sdp-offer-box summary');
  await page.click('#sdp-answer-box summary');
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, result, '2-connected.png');
  // The whole sequence at once (it scrolls in its box on the page).
  await page.evaluate(() => { document.querySelector('#sequence').style.maxHeight = 'none'; });
  const path = join(opt.shots, '2-journey.png');
  await page.locator('#sequence').screenshot({ path });
  result.screenshots.push(path);
  await page.evaluate(() => { document.querySelector('#sequence').style.maxHeight = ''; });

  const steps = await journey(page);
  result.journey = steps.map((s) => `${s.side}:${s.step}`);
  const bad = steps.filter((s) => !s.known || s.why.length < 10 || !s.chapter.startsWith('/docs/journey/') || !s.rfc.startsWith('https://'));
  check(bad.length === 0, `steps without explanation or links: ${JSON.stringify(bad.map((s) => `${s.side}:${s.step}`))}`);
  // One time base: the list is in time order, and the server's part of the exchange falls
  // between the page sending the offer and receiving the answer.
  for (let i = 1; i < steps.length; i++)
    check(steps[i].t >= steps[i - 1].t, `out of order: ${steps[i - 1].step} ${steps[i - 1].t} ms, ${steps[i].step} ${steps[i].t} ms`);
  const at = (side, step) => steps.find((s) => s.side === side && s.step === step)?.t;
  const sent = at('browser', 'offer-sent'), got = at('browser', 'answer-received');
  const srvOffer = at('server', 'offer-received'), srvAnswer = at('server', 'answer-sent');
  result.exchange = { sent, srvOffer, srvAnswer, got };
  check(sent <= srvOffer && srvOffer <= srvAnswer && srvAnswer <= got,
    `the server's offer and answer are not between the page's: ${JSON.stringify(result.exchange)}`);
  // Each stream's first packet with its SSRC: video too, not only the first kind.
  const firsts = steps.filter((s) => s.side === 'server' && s.step === 'first-rtp').map((s) => s.detail);
  result.firstRtp = firsts;
  check(firsts.some((d) => /video ssrc 0x[0-9a-f]{8}/.test(d)), `no video SSRC in the journey: ${firsts}`);
  check(firsts.some((d) => /audio ssrc 0x[0-9a-f]{8}/.test(d)), `no audio SSRC in the journey: ${firsts}`);
  check(steps.filter((s) => s.side === 'browser' && s.step === 'keyframe-shown').length >= 2, 'each keyframe is not shown');
  check(await page.$('#sequence [data-note="dtls-before-ice"]'), 'no note on DTLS before ICE');

  // Words wrap at spaces, never mid-word.
  const breaks = await page.evaluate(() => Array.from(document.querySelectorAll('.detail, .why, .name, .sdp-lines code'))
    .map((e) => getComputedStyle(e)).filter((c) => c.wordBreak === 'break-all' || c.overflowWrap === 'anywhere' ||
      c.overflowWrap === 'break-word').length);
  check(breaks === 0, `${breaks} elements may break words`);

  // The SDP viewer explains the lines that matter.
  const sdp = await page.evaluate(() => ({
    offer: Array.from(document.querySelectorAll('#sdp-offer li.key code')).map((c) => c.textContent),
    answer: Array.from(document.querySelectorAll('#sdp-answer li.key code')).map((c) => c.textContent),
  }));
  check(sdp.offer.some((l) => l.startsWith('a=fingerprint')) && sdp.offer.some((l) => l.startsWith('a=ice-ufrag')),
    `offer lines not explained: ${sdp.offer}`);
  check(sdp.answer.some((l) => l.startsWith('a=ice-ufrag')) && sdp.answer.some((l) => l.startsWith('a=setup:')),
    `answer lines not explained: ${sdp.answer}`);

  // Every chapter link resolves, to a section that exists.
  const chapters = [...new Set([...steps.map((s) => s.chapter), ...outline.map((o) => o.chapter)])];
  const texts = await page.evaluate(async (files) => {
    const out = {};
    for (const f of files) {
      const r = await fetch(f);
      out[f] = r.ok ? await r.text() : `HTTP ${r.status}`;
    }
    return out;
  }, [...new Set(chapters.map((c) => c.split('#')[0]))]);
  for (const c of chapters) {
    const [file, anchor] = c.split('#');
    check(texts[file].startsWith('# '), `${file}: ${texts[file].slice(0, 40)}`);
    const slugs = texts[file].split('\n').filter((l) => /^#+\s/.test(l)).map((l) => slug(l.replace(/^#+\s+/, '')));
    check(!anchor || slugs.includes(anchor), `${c}: no such section`);
  }
  result.chapters = chapters.length;
  await page.click('#sequence [data-side="server"][data-step="dtls-connected"] a.chapter');
  await page.waitForFunction(() => !document.querySelector('#chapter').hidden &&
    document.querySelector('#chapter pre').textContent.startsWith('## The fingerprints'), { timeout: 5000 });

  // The inspector's link: where the server has an inspector (/api/inspect/stats), the page
  // asked for this session's packets and links the page the answer named, which answers.
  // (Asked from here, not the page, so that a server without one logs no 404 in its console.)
  const inspector = (await fetch(new URL('/api/inspect/stats', opt.url))).status === 200;
  const inspect = await page.evaluate(() => document.querySelector('#inspect:not([hidden])')?.getAttribute('href') ?? null);
  result.inspect = { inspector, link: inspect };
  if (inspector) {
    check(/^\/inspect\?session=[0-9a-f]{32}$/.test(inspect ?? ''), `inspect link ${inspect}`);
    const api = (await fetch(new URL(`/api/inspect${inspect.slice('/inspect'.length)}`, opt.url))).status;
    check(api === 200 || api === 429, `/api/inspect for the page's link: ${api}`);
  } else {
    check(inspect === null, `an inspect link ${inspect} without an inspector`);
  }

  // Hang up: signaling stays open for the server's closing steps, then the summary.
  await page.click('#hangup');
  await page.waitForFunction(() => document.querySelector('#summary')?.dataset.ready === '1', { timeout: 15000 });
  check(await page.evaluate(() => document.body.dataset.state) === 'closed', 'not closed after the summary');
  const end = await journey(page);
  result.end = end.slice(-8).map((s) => `${s.side}:${s.step}`);
  for (const [side, step] of [['browser', 'hang-up'], ['server', 'bye'], ['server', 'track'], ['server', 'closed']])
    check(end.some((s) => s.side === side && s.step === step), `no ${side} ${step} after hang-up: ${result.end}`);
  const summary = await page.evaluate(() => ({
    rows: Object.fromEntries(Array.from(document.querySelectorAll('#summary [data-summary]'))
      .map((e) => [e.dataset.summary, e.querySelector('dd').textContent])),
    jpegs: Array.from(document.querySelectorAll('#summary .jpegs a')).map((a) => a.getAttribute('href')),
  }));
  result.summary = summary;
  for (const row of ['duration', 'packets', 'bytes', 'keyframes', 'lost', 'rtcp', 'jpegs'])
    check(summary.rows[row], `summary lacks ${row}`);
  check(summary.jpegs.length >= 2, `summary lists ${summary.jpegs.length} JPEGs`);
  await page.evaluate(() => window.scrollTo(0, 0));
  await shot(page, result, '3-summary.png');

  const icon = await page.evaluate(async () => (await fetch('/favicon.ico')).status);
  check(icon === 200, `/favicon.ico: ${icon}`);
}

await report(async (result, logs) => {
  result.screenshots = [];
  const errors = [];
  try {
    await withChromium(opt.y4m, (page) => tour(page, result, errors));
  } finally {
    logs.push(...errors);
    result.errors = errors;
  }
  check(errors.length === 0, `console errors: ${errors.join(' | ')}`);
});
