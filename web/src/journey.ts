// The journey as one sequence: the browser's steps and the server's, on one time base, each
// with its human name, a line of why and links to its chapter section and its standard; and,
// before Connect, the outline of what is to come (steps.ts says what each step is).

import { DTLS_BEFORE_ICE, DTLS_BEFORE_ICE_LINK, Link, PHASES, stepInfo } from "./steps.js";

export type Side = "browser" | "server";

interface Entry {
  side: Side;
  name: string;
  detail?: string;
  t: number; // browser: ms since Connect; server: ms since the session began on the server
  recv?: number; // server: when the page had the message, ms since Connect
  isError: boolean;
  seq: number; // arrival order, for steps at the same time
}

function link(l: Link, cls: string): HTMLAnchorElement {
  const a = document.createElement("a");
  a.href = l.href;
  a.textContent = l.text;
  a.className = cls;
  if (cls === "rfc") {
    a.target = "_blank";
    a.rel = "noopener";
  }
  return a;
}

export class Journey {
  private entries: Entry[] = [];
  private seq = 0;

  constructor(private list: HTMLOListElement, private outline: HTMLOListElement) {
    this.renderOutline();
  }

  reset(): void {
    this.entries = [];
    this.render();
  }

  browser(name: string, t: number, detail?: string, isError = false): void {
    this.entries.push({ side: "browser", name, detail, t, isError, seq: this.seq++ });
    this.renderSoon();
  }

  server(name: string, t: number, recv?: number, detail?: string, isError = false): void {
    this.entries.push({ side: "server", name, detail, t, recv, isError, seq: this.seq++ });
    this.renderSoon();
  }

  // One render for all the steps of a frame: the list is rebuilt and scrolled (a forced
  // layout) on each render, and the journey's first second brings some forty steps, each of
  // which made a long task of the page's main thread just while the camera, the
  // offer/answer and the server's messages wanted it. A timer backs the animation frame,
  // which a hidden page does not get.
  private pending = false;

  private renderSoon(): void {
    if (this.pending) return;
    this.pending = true;
    const run = () => {
      if (!this.pending) return;
      this.pending = false;
      this.render();
    };
    requestAnimationFrame(run);
    setTimeout(run, 100);
  }

  has(side: Side, name: string): boolean {
    return this.entries.some((e) => e.side === side && e.name === name);
  }

  // One time base: the click. The server counts from the offer's arrival on its own clock,
  // so its times are mapped as t + base, with base bounded from both sides by the messages
  // themselves (as NTP and Cristian's algorithm do, RFC 5905 §8):
  // - a server step that answers a page's message comes after it was sent: the offer and
  //   offer-received, a Snapshot and its PLI, Hang up and bye; so base >= sent - t;
  // - a server step's message reaches the page after the step: base <= received - t.
  // base is the middle of the two bounds. The first bound alone would say the network took
  // no time, the second alone would count the page's own delays (its main thread starting
  // the camera holds messages for a hundred milliseconds and more) as the network's.
  private base(): number {
    let lower = -Infinity;
    let upper = Infinity;
    const pairs: [string, string][] = [["offer-sent", "offer-received"], ["snapshot-requested", "snapshot-requested"],
      ["hang-up", "bye"]];
    for (const [asked, answered] of pairs) {
      const sent = this.entries.filter((e) => e.side === "browser" && e.name === asked);
      const done = this.entries.filter((e) => e.side === "server" && e.name === answered);
      for (let i = 0; i < Math.min(sent.length, done.length); i++) lower = Math.max(lower, sent[i].t - done[i].t);
    }
    for (const e of this.entries) if (e.side === "server" && e.recv !== undefined) upper = Math.min(upper, e.recv - e.t);
    if (lower === -Infinity) return upper === Infinity ? 0 : upper;
    if (upper === Infinity || upper < lower) return lower; // whole milliseconds on the server
    return (lower + upper) / 2;
  }

  serverToPage(t: number): number {
    return t + this.base();
  }

  private renderBase = 0; // base(), once per render

  private pageTime(e: Entry): number {
    return e.side === "browser" ? e.t : e.t + this.renderBase;
  }

  private row(e: Entry): HTMLLIElement {
    const info = stepInfo(e.side, e.name, e.detail);
    const li = document.createElement("li");
    li.className = `side-${e.side}${e.isError ? " error" : ""}`;
    // Tests (and docs/journey/tools) read the journey from these attributes.
    li.dataset.step = e.name;
    li.dataset.side = e.side;
    li.dataset.known = info ? "1" : "0";
    const t = this.pageTime(e);
    li.dataset.t = String(Math.round(t));
    const time = document.createElement("span");
    time.className = "t";
    time.textContent = `${Math.round(t)} ms`;
    const side = document.createElement("span");
    side.className = "side";
    side.textContent = e.side;
    const body = document.createElement("div");
    body.className = "body";
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = info?.title ?? e.name;
    const raw = document.createElement("code");
    raw.className = "raw";
    raw.textContent = e.name;
    body.append(name, raw);
    if (e.detail) {
      const d = document.createElement("span");
      d.className = "detail";
      d.textContent = e.detail;
      body.append(d);
    }
    if (info) {
      const why = document.createElement("p");
      why.className = "why";
      why.textContent = info.why;
      const links = document.createElement("span");
      links.className = "links";
      links.append(link(info.chapter, "chapter"), link(info.rfc, "rfc"));
      body.append(why, links);
    }
    li.append(time, side, body);
    return li;
  }

  // Shown after the server's dtls-connected: why it may come before ICE says connected.
  private dtlsNote(): HTMLLIElement {
    const li = document.createElement("li");
    li.className = "note";
    li.dataset.note = "dtls-before-ice";
    const p = document.createElement("p");
    p.textContent = DTLS_BEFORE_ICE;
    const dtls = this.entries.find((e) => e.side === "server" && e.name === "dtls-connected");
    const ice = this.entries.find((e) => e.side === "browser" && e.name === "ice-connected");
    const nominated = this.entries.find((e) => e.side === "server" && e.name === "ice-connected");
    const facts: string[] = [];
    if (dtls) facts.push(`server DTLS done at ${Math.round(this.pageTime(dtls))} ms`);
    if (ice) facts.push(`browser ICE connected at ${Math.round(this.pageTime(ice))} ms`);
    if (nominated) facts.push(`pair nominated at ${Math.round(this.pageTime(nominated))} ms`);
    const here = document.createElement("p");
    here.className = "facts";
    here.textContent = `In this session: ${facts.join(", ")}.`;
    li.append(p, here, link(DTLS_BEFORE_ICE_LINK, "chapter"));
    return li;
  }

  render(): void {
    this.pending = false;
    this.renderBase = this.base();
    const sorted = [...this.entries].sort((a, b) => this.pageTime(a) - this.pageTime(b) || a.seq - b.seq);
    const rows: HTMLLIElement[] = [];
    for (const e of sorted) {
      rows.push(this.row(e));
      if (e.side === "server" && e.name === "dtls-connected") rows.push(this.dtlsNote());
    }
    this.list.replaceChildren(...rows);
    this.list.scrollTop = this.list.scrollHeight;
    // The outline marks the phases reached so far.
    const reached = new Set(sorted.map((e) => stepInfo(e.side, e.name)?.phase).filter((p) => p));
    for (const li of Array.from(this.outline.children) as HTMLElement[]) {
      if (reached.has(li.dataset.phase as never)) li.dataset.done = "1";
      else delete li.dataset.done;
    }
  }

  private renderOutline(): void {
    const items = PHASES.map((p, i) => {
      const li = document.createElement("li");
      li.dataset.phase = p.id;
      const title = document.createElement("span");
      title.className = "name";
      title.textContent = `${i + 1}. ${p.title}`;
      const line = document.createElement("p");
      line.className = "why";
      line.textContent = p.line;
      const steps = document.createElement("span");
      steps.className = "expect";
      steps.textContent = p.steps;
      const links = document.createElement("span");
      links.className = "links";
      links.append(link(p.chapter, "chapter"));
      li.append(title, line, steps, links);
      return li;
    });
    this.outline.replaceChildren(...items);
  }
}
