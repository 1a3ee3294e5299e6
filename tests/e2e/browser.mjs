// Drives Debian's Chromium, headless: the boltrtc page with ?autostart=1, its fake camera fed
// from a .y4m still picture (chromium.mjs launches it, page.mjs does the journey).
// Usage: node browser.mjs --url URL --y4m FILE --keyframes N --timeout-ms MS [--screenshot PNG] [--snapshot]
import { withChromium } from './chromium.mjs';
import { parseArgs, report, runJourney } from './page.mjs';

const opt = parseArgs(process.argv.slice(2));
if (!opt.y4m) throw new Error('--y4m is required');
await report((result, logs) => withChromium(opt.y4m, (page) => runJourney(page, opt, result, logs)));
