// staff_html.js - browser half of the staffing page check in staff_cli.sh:
//   node staff_html.js PLAN.html SHOPS SHIFT_ROWS
// Opens the page in Debian's chromium (headless, fresh profile, offline,
// every other request aborted), waits for the page script and checks: no
// page or console error, no CSP violation, no request, one ECharts chart
// per shop with a drawn canvas, and the shifts table's rows. Prints one
// JSON line and exits 1 on any failure.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const WEB = path.resolve(__dirname, '..', '..', 'web', 'node_modules');

(async () => {
  const [file, shops, shiftRows] = process.argv.slice(2);
  const { chromium } = require(path.join(WEB, 'playwright-core'));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    offline: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND'],
  });
  const failures = [];
  let r = {};
  try {
    const url = 'file://' + path.resolve(file);
    const requests = [];
    await ctx.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    await ctx.addInitScript(() => {
      window.__kefuViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__kefuViolations.push(e.violatedDirective);
      });
    });
    const page = await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => document.body.getAttribute('data-ready') === '1', null,
      { timeout: 20000 });
    await page.waitForTimeout(300);
    r = await page.evaluate(() => {
      const drawn = Array.from(document.querySelectorAll('.chart canvas')).filter((c) => {
        const g = c.getContext('2d');
        if (!g || !c.width || !c.height) return false;
        const d = g.getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
        return false;
      }).length;
      return {
        charts: window.kefuStaff ? window.kefuStaff.charts.length : -1,
        drawn: drawn,
        shiftRows: document.querySelectorAll('#shifts tbody tr').length,
        metaRows: document.querySelectorAll('#meta tbody tr').length,
        title: document.getElementById('title').textContent,
        violations: window.__kefuViolations,
      };
    });
    r.errors = errors;
    r.requests = requests;
    if (r.charts !== Number(shops)) failures.push(`charts ${r.charts}, want ${shops}`);
    if (r.drawn < Number(shops)) failures.push(`drawn canvases ${r.drawn}, want ${shops}`);
    if (r.shiftRows !== Number(shiftRows)) failures.push(`shift rows ${r.shiftRows}, want ${shiftRows}`);
    if (r.metaRows < 1) failures.push('no settings rows');
    if (errors.length) failures.push('errors: ' + errors.join('; '));
    if (r.violations.length) failures.push('CSP violations: ' + r.violations.join('; '));
    if (requests.length) failures.push('requests: ' + requests.join(' '));
  } catch (e) {
    failures.push(String(e));
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(JSON.stringify(Object.assign(r, { failures })));
  process.exit(failures.length ? 1 : 0);
})();
