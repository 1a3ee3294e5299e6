// What the page-load benchmarks (journey.mjs, first_frame.mjs) share: their options, and page
// loads in one Chromium, a fresh browser context each time (no cache or permission carries
// over). --url may name several servers, comma-separated: each round loads the page from each
// in turn, so they are measured under the same load on the machine, and each round starts one
// further along the list, so that none is always first after the browser's idle pause.
import { launchChromium } from '../../tests/e2e/chromium.mjs';

// --runs N --timeout-ms MS --url A,B --y4m FILE ... as {runs, timeoutMs, url, y4m, ...}.
export function loadOptions(argv) {
  const opt = { runs: 10, timeoutMs: 20000 };
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
    opt[k] = k === 'runs' || k === 'timeoutMs' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return opt;
}

// body(context, url, {run, server}) for each load; the context is closed after it.
export async function eachLoad(opt, body) {
  const urls = opt.url.split(',');
  const chrome = await launchChromium(opt.y4m);
  try {
    for (let n = 0; n < opt.runs * urls.length; n++) {
      const run = Math.floor(n / urls.length), server = (n + run) % urls.length;
      const context = await chrome.browser.newContext();
      try {
        await body(context, urls[server], { run, server });
      } finally {
        await context.close();
      }
    }
  } finally {
    await chrome.close();
  }
}
