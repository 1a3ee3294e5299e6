// The chapter reader: a link to /docs/journey/<chapter>.md#<section> opens that section of
// docs/journey beside the journey, as text (the server serves the chapters; no network needed).
// Headings are found by their GitHub anchor, so the same links work on the repository's pages.

// GitHub's heading anchors: lower case, HTML comments and punctuation dropped, spaces to '-'.
export function headingSlug(heading: string): string {
  return heading
    .replace(/<!--.*?-->/g, "")
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

// The section under the heading whose anchor is `anchor` (the whole chapter when empty), to the
// next heading of the same or a higher level; HTML comments (the capture's markers) removed.
export function chapterSection(markdown: string, anchor: string): string | undefined {
  const lines = markdown.split("\n");
  let start = 0;
  let level = 0;
  if (anchor) {
    start = lines.findIndex((l) => {
      const m = /^(#+)\s+(.*)$/.exec(l);
      return m !== null && headingSlug(m[2]) === anchor;
    });
    if (start < 0) return undefined;
    level = (/^#+/.exec(lines[start]) ?? [""])[0].length;
  }
  let end = lines.length;
  for (let i = start + 1; i < lines.length && anchor; i++) {
    const m = /^(#+)\s/.exec(lines[i]);
    if (m && m[1].length <= level) {
      end = i;
      break;
    }
  }
  return lines.slice(start, end).join("\n").replace(/<!--.*?-->/g, "");
}

// Shows the section behind a chapter link in `panel`; the link itself stays a real link (a new
// tab shows the whole chapter as text).
export async function openChapter(panel: HTMLElement, href: string): Promise<void> {
  const [file, anchor = ""] = href.split("#");
  const title = panel.querySelector("h2");
  const body = panel.querySelector("pre");
  const whole = panel.querySelector<HTMLAnchorElement>("a.whole");
  if (!title || !body || !whole) return;
  panel.hidden = false;
  whole.href = file;
  title.textContent = `${file.replace(/^\/docs\/journey\//, "")}${anchor ? ` § ${anchor}` : ""}`;
  body.textContent = "loading…";
  try {
    const res = await fetch(file);
    const text = res.ok ? chapterSection(await res.text(), anchor) : undefined;
    body.textContent = text ?? `no such section (${res.status})`;
  } catch (e) {
    body.textContent = String(e);
  }
  panel.scrollIntoView({ block: "nearest" });
}
