// The session's numbers from the server's /api/status: live counters while connected (polled
// once a second) and the summary after hang-up.

export interface SessionStatus {
  id: string;
  state: string;
  steps: { step: string; t_ms: number; detail: string }[];
  stats: Record<string, number | string>;
  tracks: { mid: string; kind: string; codec: string; ssrc: number; packets: number; bytes: number; lost: number }[];
}

interface Status {
  sessions?: SessionStatus[];
  keyframes?: { file: string; width: number; height: number; session: string; bytes: number }[];
}

export async function fetchStatus(): Promise<Status | undefined> {
  try {
    const res = await fetch("/api/status", { cache: "no-store" });
    return res.ok ? ((await res.json()) as Status) : undefined;
  } catch {
    return undefined;
  }
}

function num(s: SessionStatus, name: string): number {
  const v = s.stats[name];
  return typeof v === "number" ? v : 0;
}

const fmt = new Intl.NumberFormat("en");

function hex(ssrc: number): string {
  return ssrc ? `0x${ssrc.toString(16).padStart(8, "0")}` : "—";
}

// Packets lost as the receiver reports say, and the share of those expected.
function loss(s: SessionStatus): { lost: number; text: string } {
  const lost = Math.max(0, num(s, "video_lost")) + Math.max(0, num(s, "audio_lost"));
  const expected = lost + num(s, "rtp_video") + num(s, "rtp_audio");
  const pct = expected ? (100 * lost) / expected : 0;
  return { lost, text: `${fmt.format(lost)} (${pct.toFixed(pct < 1 ? 2 : 1)} %)` };
}

// Each counter is a <div data-counter=NAME data-value=N> with a label and the value as text.
function setCounter(box: HTMLElement, name: string, label: string, value: number, text?: string, title?: string): void {
  let item = box.querySelector<HTMLElement>(`[data-counter="${name}"]`);
  if (!item) {
    item = document.createElement("div");
    item.dataset.counter = name;
    const dt = document.createElement("dt");
    dt.textContent = label;
    const dd = document.createElement("dd");
    item.append(dt, dd);
    box.append(item);
  }
  if (title) item.title = title;
  item.dataset.value = String(value);
  const dd = item.querySelector("dd");
  if (dd) dd.textContent = text ?? fmt.format(value);
}

export class LiveCounters {
  private timer = 0;
  private last?: { at: number; bytes: number };

  constructor(private box: HTMLElement, private session: () => string) {}

  start(): void {
    if (this.timer) return;
    this.last = undefined;
    this.box.replaceChildren();
    this.timer = window.setInterval(() => void this.poll(), 1000);
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = 0;
  }

  private async poll(): Promise<void> {
    const id = this.session();
    if (!id) return;
    const s = (await fetchStatus())?.sessions?.find((x) => x.id === id);
    if (!s || !this.timer) return;
    const now = performance.now();
    const bytes = num(s, "bytes_in");
    const kbps = this.last && now > this.last.at ? ((bytes - this.last.bytes) * 8) / (now - this.last.at) : 0;
    this.last = { at: now, bytes };
    const b = this.box;
    setCounter(b, "bitrate", "bitrate in", Math.round(kbps), `${fmt.format(Math.round(kbps))} kbps`,
      "all datagrams from the browser, over the last second");
    setCounter(b, "packets", "RTP packets", num(s, "rtp_video") + num(s, "rtp_audio"), undefined,
      `${fmt.format(num(s, "rtp_video"))} video (RTX included), ${fmt.format(num(s, "rtp_audio"))} audio`);
    setCounter(b, "video_packets", "of them video", num(s, "rtp_video"));
    setCounter(b, "bytes", "bytes in", bytes);
    const l = loss(s);
    setCounter(b, "lost", "lost", l.lost, l.text, "expected less received (RFC 3550 A.3), as our receiver reports say");
    const rtt = num(s, "rtt_us");
    setCounter(b, "rtt", "RTT", rtt, rtt ? `${(rtt / 1000).toFixed(1)} ms` : "—",
      "round trip from RTCP XR RRTR/DLRR (RFC 3611)");
    setCounter(b, "frames", "frames", num(s, "frames"));
    setCounter(b, "keyframes", "keyframes", num(s, "keyframes"));
    setCounter(b, "rr_sent", "RTCP RR sent", num(s, "rr_sent"), undefined, "receiver reports (RFC 3550 §6.4.2)");
    setCounter(b, "plis_sent", "PLI sent", num(s, "plis_sent"), undefined, "keyframe requests (RFC 4585 §6.3.1)");
    setCounter(b, "remb_sent", "REMB sent", num(s, "remb_sent"), undefined, "the bitrate the server allows");
    setCounter(b, "nacks_sent", "NACK sent", num(s, "nacks_sent"), undefined, "lost packets asked for again (RFC 4585 §6.2.1)");
    setCounter(b, "video_ssrc", "video SSRC", num(s, "video_ssrc"), hex(num(s, "video_ssrc")));
    setCounter(b, "audio_ssrc", "audio SSRC", num(s, "audio_ssrc"), hex(num(s, "audio_ssrc")));
  }
}

function row(list: HTMLElement, name: string, label: string, value: string): void {
  const div = document.createElement("div");
  div.dataset.summary = name;
  const dt = document.createElement("dt");
  dt.textContent = label;
  const dd = document.createElement("dd");
  dd.textContent = value;
  div.append(dt, dd);
  list.append(div);
}

// The session's summary, from what /api/status kept of it after it closed.
export async function showSummary(box: HTMLElement, id: string): Promise<void> {
  const status = await fetchStatus();
  const s = status?.sessions?.find((x) => x.id === id);
  const list = box.querySelector("dl");
  const jpegs = box.querySelector("ul");
  if (!list || !jpegs) return;
  list.replaceChildren();
  jpegs.replaceChildren();
  box.hidden = false;
  if (!s) {
    row(list, "state", "session", `${id || "no session"}: not in /api/status`);
    box.dataset.ready = "1";
    return;
  }
  const end = [...s.steps].reverse().find((x) => x.step === "closed" || x.step === "failed");
  const last = s.steps[s.steps.length - 1];
  const ms = (end ?? last)?.t_ms ?? 0;
  row(list, "state", "session", `${s.id}, ${s.state}`);
  row(list, "duration", "duration", `${(ms / 1000).toFixed(1)} s`);
  row(list, "packets", "RTP packets", `${fmt.format(num(s, "rtp_video"))} video, ${fmt.format(num(s, "rtp_audio"))} audio`);
  row(list, "bytes", "bytes in", fmt.format(num(s, "bytes_in")));
  row(list, "keyframes", "frames, keyframes", `${fmt.format(num(s, "frames"))}, ${fmt.format(num(s, "keyframes"))}`);
  row(list, "lost", "lost", loss(s).text);
  row(list, "rtcp", "RTCP sent", `${num(s, "rr_sent")} RR, ${num(s, "plis_sent")} PLI, ${num(s, "remb_sent")} REMB, ${num(s, "nacks_sent")} NACK`);
  for (const t of s.tracks)
    row(list, `track-${t.mid}`, `track ${t.mid} (${t.kind})`,
      `${t.codec}, ssrc ${hex(t.ssrc)}: ${fmt.format(t.packets)} packets, ${fmt.format(t.bytes)} bytes, ${fmt.format(t.lost)} lost`);
  const saved = (status?.keyframes ?? []).filter((k) => k.session === s.id);
  row(list, "jpegs", "JPEGs saved", String(saved.length));
  for (const k of saved) {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = `/output/${encodeURIComponent(k.file)}`;
    a.target = "_blank";
    a.textContent = k.file;
    li.append(a, ` ${k.width}×${k.height}, ${fmt.format(Math.round(k.bytes / 1024))} KB`);
    jpegs.append(li);
  }
  box.dataset.ready = "1";
}
