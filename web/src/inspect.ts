// The packet inspector (/inspect?session=ID): reads /api/inspect?session=ID and shows each kind
// of packet the session's first packets were, each as a hex dump with its decoded fields
// beside it. Hovering a field marks its bytes; each kind links to its chapter of docs/journey
// and its RFC section, each field to its own section.

interface Field {
  offset: number;
  len: number;
  depth: number;
  name: string;
  value: string;
  meaning?: string;
  ref?: string;
}

interface Packet {
  t_ms: number;
  order: number;
  len: number;
  truncated: boolean;
  hex: string;
  summary: string;
  fields: Field[];
  fields_cut: boolean;
  wire?: Packet;
}

interface Kind {
  kind: string;
  direction: 'in' | 'out';
  ssrc: number | null;
  title: string;
  chapter: string;
  rfc: string;
  seen: number;
  packets: Packet[];
}

interface Inspection {
  session: string;
  state: 'live' | 'ended';
  per_kind: number;
  other_streams: number;
  srtp_profile: string;
  ufrags: { server: string; browser: string };
  extmap: { id: number; name: string }[];
  kinds: Kind[];
}

// The journey's order: ICE, DTLS, then media and its feedback.
const ORDER = ['stun', 'dtls', 'srtp', 'rtp', 'srtcp', 'rtcp', 'unknown'];

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {},
  ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

// "RFC 8489 14.3" -> the RFC editor's page at that section; drafts -> the datatracker.
function refUrl(ref: string): string | null {
  const rfc = /^RFC (\d+)(?: ([\d.]+))?/.exec(ref);
  if (rfc) return `https://www.rfc-editor.org/rfc/rfc${rfc[1]}${rfc[2] ? `#section-${rfc[2]}` : ''}`;
  const draft = /^(draft-[a-z0-9-]+)/.exec(ref);
  if (draft) return `https://datatracker.ietf.org/doc/html/${draft[1]}`;
  return null;
}

// "docs/journey/02-ice-and-stun.md#the-first-check" -> the chapter served as text, and a label.
function chapterLink(chapter: string): HTMLAnchorElement {
  const [path, anchor] = chapter.split('#');
  const file = path.split('/').pop() ?? path;
  const title = file.replace(/\.md$/, '').replace(/^0?(\d+)-/, 'Chapter $1: ').replace(/-/g, ' ');
  const section = anchor ? ` › ${anchor.replace(/-/g, ' ')}` : '';
  return el('a', { href: `/${path}`, 'data-chapter': chapter }, `${title}${section}`);
}

function hexDump(hex: string): HTMLElement {
  const pre = el('div', { class: 'hex' });
  const n = hex.length / 2;
  for (let row = 0; row < n; row += 16) {
    pre.append(el('span', { class: 'off' }, row.toString(16).padStart(4, '0')), '  ');
    for (let i = row; i < Math.min(row + 16, n); i++) {
      pre.append(el('span', { class: 'b', 'data-i': String(i) }, hex.slice(2 * i, 2 * i + 2)));
      pre.append(i % 16 === 7 ? '  ' : ' ');
    }
    pre.append('\n');
  }
  return pre;
}

function mark(dump: HTMLElement, f: Field | null): void {
  dump.querySelectorAll('span.b.mark').forEach((s) => s.classList.remove('mark'));
  if (!f) return;
  for (let i = f.offset; i < f.offset + f.len; i++)
    dump.querySelector(`span.b[data-i="${i}"]`)?.classList.add('mark');
}

function fieldList(fields: Field[], dump: HTMLElement): HTMLElement {
  const list = el('ul', { class: 'fields' });
  for (const f of fields) {
    const li = el('li', { class: `d${Math.min(f.depth, 2)}`, 'data-field': f.name },
      el('span', { class: 'name' }, f.name));
    if (f.value) li.append(': ', el('span', { class: 'value' }, f.value));
    li.append(el('span', { class: 'muted' }, `  [${f.offset}..${f.offset + f.len})`));
    if (f.ref) {
      const url = refUrl(f.ref);
      li.append(url ? el('a', { class: 'ref', href: url, target: '_blank', rel: 'noreferrer' }, f.ref)
        : el('span', { class: 'ref muted' }, f.ref));
    }
    if (f.meaning) li.append(el('span', { class: 'meaning' }, f.meaning));
    li.addEventListener('mouseenter', () => mark(dump, f));
    li.addEventListener('mouseleave', () => mark(dump, null));
    list.append(li);
  }
  return list;
}

function packetBody(p: Packet): HTMLElement {
  const dump = hexDump(p.hex);
  const body = el('div', { class: 'packet-body' }, dump, fieldList(p.fields, dump));
  if (p.truncated || p.fields_cut)
    body.append(el('p', { class: 'muted' }, p.truncated ? `Kept ${p.hex.length / 2} of ${p.len} bytes.`
      : 'More fields than shown.'));
  return body;
}

function packetView(k: Kind, p: Packet, open: boolean): HTMLElement {
  const d = el('details', { class: 'packet', 'data-order': String(p.order) },
    el('summary', {}, `+${p.t_ms.toFixed(1)} ms  ${p.len} B  ${p.summary}`));
  let built = false;
  const build = () => {
    if (built) return;
    built = true;
    d.append(packetBody(p));
    if (p.wire) {
      const wire = el('div', { class: 'wire' },
        el('h3', {}, `The same packet on the wire (${k.kind === 'rtp' ? 'SRTP' : 'SRTCP'}): what is in clear, what is encrypted, the tag`));
      wire.append(packetBody(p.wire));
      d.append(wire);
    }
  };
  d.addEventListener('toggle', () => { if (d.open) build(); });
  if (open) {
    d.open = true;
    build();
  }
  return d;
}

function kindId(k: Kind): string {
  return `${k.kind}-${k.direction}${k.ssrc !== null ? `-${k.ssrc.toString(16)}` : ''}`;
}

// open: the packets a reader had opened ("sectionId/order"), kept open after a refresh.
function kindView(k: Kind, open: Set<string>): HTMLElement {
  const ssrc = k.ssrc !== null ? ` (SSRC 0x${k.ssrc.toString(16).padStart(8, '0')})` : '';
  const section = el('section', { id: kindId(k), 'data-kind': k.kind, 'data-direction': k.direction },
    el('h2', {}, `${k.title}${ssrc}`),
    el('div', { class: 'links' }, chapterLink(k.chapter),
      el('a', { href: k.rfc, target: '_blank', rel: 'noreferrer' }, k.rfc.replace(/^https:\/\/www\.rfc-editor\.org\/rfc\/rfc(\d+)#section-/, 'RFC $1 §')),
      `${k.seen} seen, the first ${k.packets.length} kept`));
  k.packets.forEach((p, i) => section.append(packetView(k, p, i === 0 || open.has(`${kindId(k)}/${p.order}`))));
  return section;
}

function overview(x: Inspection): HTMLElement[] {
  const ext = x.extmap.map((e) => `${e.id} ${e.name}`).join(', ') || 'none';
  // Live, the kinds still fill (media and RTCP come seconds after the handshake).
  const refresh = el('button', { id: 'refresh', type: 'button' }, 'Refresh');
  refresh.addEventListener('click', () => {
    refresh.disabled = true;
    load().catch(failed);
  });
  return [
    ...(x.state === 'live' ? [el('p', {}, refresh, ' the session is live: later kinds may have arrived since.')] : []),
    el('p', {}, `Session ${x.session}, ${x.state === 'live' ? 'live' : 'ended'}: the first ${x.per_kind} packets of each kind, in the order they came.`),
    el('p', {}, 'ICE ufrags: the server\'s ', el('code', {}, x.ufrags.server || '?'),
      ', the browser\'s ', el('code', {}, x.ufrags.browser || '?'),
      '. SRTP profile: ', el('code', {}, x.srtp_profile || 'not negotiated yet'),
      '. Header extensions (a=extmap): ', ext, '.'),
  ];
}

// The server decodes a session at most once a second, timed from when it handled the last
// request, and answers 429 sooner; the browser logs every 429 as a console error, so the
// page never asks sooner than that. It times the gap from when the last answer arrived,
// which is after the server handled it: timed from when the request left, a request that
// waited for a busy loop would make the next one early.
const DECODE_INTERVAL_MS = 1100;
let lastAnswerAt = 0;

async function load(): Promise<void> {
  const wait = lastAnswerAt + DECODE_INTERVAL_MS - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const id = new URLSearchParams(location.search).get('session') ?? '';
  const overviewSection = document.getElementById('overview') as HTMLElement;
  document.body.dataset.state = 'loading';
  const url = `/api/inspect?session=${encodeURIComponent(id)}`;
  let res = await fetch(url, { cache: 'no-store' });
  lastAnswerAt = Date.now();
  if (res.status === 429) { // asked by another tab or client: ask again after the interval
    await new Promise((r) => setTimeout(r, DECODE_INTERVAL_MS));
    res = await fetch(url, { cache: 'no-store' });
    lastAnswerAt = Date.now();
  }
  if (!res.ok) {
    document.body.dataset.state = 'missing';
    overviewSection.replaceChildren(el('p', { id: 'status' }, res.status === 404
      ? 'No such inspected session: the link is wrong, or the session ended a while ago.'
      : `The server answered ${res.status}.`));
    return;
  }
  const x = (await res.json()) as Inspection;
  const open = new Set(Array.from(document.querySelectorAll('details.packet[open]'))
    .map((d) => `${d.closest('section')?.id}/${(d as HTMLElement).dataset.order}`));
  const kinds = [...x.kinds].sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind)
    || (a.direction === b.direction ? 0 : a.direction === 'in' ? -1 : 1));
  overviewSection.replaceChildren(...overview(x));
  const contents = document.getElementById('contents') as HTMLElement;
  contents.replaceChildren(...kinds.map((k) => el('a', { href: `#${kindId(k)}` },
    `${k.kind.toUpperCase()} ${k.direction === 'in' ? '←' : '→'}${k.ssrc !== null ? ` ${k.ssrc.toString(16)}` : ''}`)));
  (document.getElementById('kinds') as HTMLElement).replaceChildren(...kinds.map((k) => kindView(k, open)));
  document.body.dataset.state = 'loaded';
  document.body.dataset.kinds = kinds.map((k) => k.kind).join(' ');
}

function failed(e: unknown): void {
  document.body.dataset.state = 'error';
  const overviewSection = document.getElementById('overview') as HTMLElement;
  overviewSection.replaceChildren(el('p', {}, `Could not load: ${String(e)}`));
}

load().catch(failed);

// A module of its own: its names do not meet app.ts's.
export {};
