// What the small Node drivers share: their --kebab-case options, and waiting for a condition
// the driver polls (a child's journal, a page's state) with a deadline.

// process.argv's "--name value" pairs as {name: value}; names in camelCase, timeoutMs a number.
export function options(defaults) {
  const opt = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '').replace(/-(.)/g, (_, c) => c.toUpperCase());
    opt[k] = k === 'timeoutMs' ? Number(argv[i + 1]) : argv[i + 1];
  }
  return opt;
}

// Resolves once check() holds (polled every 50 ms); rejects after timeoutMs, naming what.
export function waitFor(check, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const timer = setInterval(() => {
      if (check()) { clearInterval(timer); resolve(); }
      else if (Date.now() - t0 > timeoutMs) { clearInterval(timer); reject(new Error(`timed out waiting for ${what}`)); }
    }, 50);
  });
}
