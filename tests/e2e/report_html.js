// report_html.js - browser half of tests/e2e/report_html.sh.
//   node report_html.js payloads DIR        writes hostile input CSVs into DIR
//   node report_html.js check REPORT.html EXPECT.json
// `check` opens the report in Debian's chromium (headless, fresh profile,
// offline, every request aborted and counted), waits for the page script,
// and verifies: no page error, no script run by the data (alert/confirm/
// prompt/print hooks, dialogs, a global set by payloads, CSP violations),
// no network request, the ECharts instances and their canvases drawn, the
// expected card and table values, hostile names shown as literal text,
// column sorting, and an escaped tooltip. Prints one JSON line of results
// and exits 1 on any failure.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const WEB = path.resolve(__dirname, '..', '..', 'web', 'node_modules');

// Hostile strings: HTML/JS injection, script-breaking sequences, JS string
// terminators, line separators, spreadsheet formulas. Each is used as a
// shop, an agent name, a buyer nick and chat text.
const PAYLOADS = [
  '<script>alert(1)</script>',
  '</script><script>alert(2)</script>',
  '<img src=x onerror=alert(3)>',
  '"><svg onload=alert(4)>',
  "'><svg/onload=alert(5)>",
  'javascript:alert(6)',
  '<a href="javascript:alert(7)">x</a>',
  '<iframe src="javascript:alert(8)"></iframe>',
  '<body onload=alert(9)>',
  '<details open ontoggle=alert(10)>',
  '{{constructor.constructor("alert(11)")()}}',
  '${alert(12)}',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(13)>',
  '\u2028alert(14)\u2029',
  '</script\u2028><script>alert(15)</script>',
  '<!--<script>alert(16)//-->',
  '<scr<script>ipt>alert(17)</script>',
  '<svg><script>alert&#40;18&#41;</script>',
  '&lt;script&gt;alert(19)&lt;/script&gt;',
  '<input autofocus onfocus=alert(20)>',
  '<video><source onerror=alert(21)>',
  '<style>@import "http://127.0.0.1:9/x.css";</style>',
  '<link rel=stylesheet href=http://127.0.0.1:9/x.css>',
  '<meta http-equiv=refresh content="0;url=javascript:alert(24)">',
  "=cmd|' /C calc'!A0",
  '+SUM(1,1)',
  '-2+3',
  '@SUM(1)',
  '"\'`;alert(29)//',
  '\\"};alert(30);//',
  '<x onmouseover=alert(31)>hover',
  '<object data="javascript:alert(32)">',
  '<embed src="javascript:alert(33)">',
  '<form action=javascript:alert(34)><input type=submit>',
  '<isindex action=javascript:alert(35) type=image>',
  '<template><img src=x onerror=alert(36)></template>',
  '<noscript><p title="</noscript><img src=x onerror=alert(37)>">',
  '<textarea></textarea><img src=x onerror=alert(38)>',
  '<title></title><img src=x onerror=alert(39)>',
  '<xmp></xmp><img src=x onerror=alert(40)>',
  '<base href="javascript:alert(41)//">',
  '<svg><animate onbegin=alert(42) attributeName=x dur=1s>',
  '<marquee onstart=alert(43)>',
  '<select autofocus onfocus=alert(44)>',
  '<audio src=x onerror=alert(45)>',
  '<img src="x` `<script>alert(46)</script>"` `>',
  'data:text/html,<script>alert(47)</script>',
  '\\u003cimg src=x onerror=alert(48)\\u003e',
  '<img src=x onerror=alert`49`>',
  '<svg><foreignObject><img src=x onerror=alert(50)></foreignObject></svg>',
  '<div style="background:url(javascript:alert(51))">',
  'line\u2028sep\u2029para',
  '客服<img src=x onerror=alert(53)>小美',
  '<img src=x onerror="top.__kefuPwned=(top.__kefuPwned||0)+1">',
  '<svg><a xlink:href="javascript:alert(55)"><text x=0 y=20>x</text></a></svg>',
  '<img src=x:alert(56) onerror=eval(src)>',
  '"onmouseover="alert(57)',
  '<script src=data:text/javascript,alert(58)></script>',
  '\t=1+1',
  '%3Cscript%3Ealert(60)%3C/script%3E',
];

function csvField(s) {
  return '"' + String(s).replace(/"/g, '""') + '"';
}

function writePayloads(dir) {
  // One shop per payload (shop = payload i), its agent payload i+1 (prefixed
  // with the shop, as sub-accounts are), buyer payload i+2, chat text
  // payload i+3. Each buyer asks, is answered after 30 s, then pays.
  const n = PAYLOADS.length;
  const msgs = ['shop,buyer,agent,dir,ts,text'];
  const orders = ['shop,order_id,buyer,created,paid,amount,items,status'];
  for (let i = 0; i < n; i++) {
    const shop = PAYLOADS[i];
    const agent = shop + ':' + PAYLOADS[(i + 1) % n];
    const buyer = PAYLOADS[(i + 2) % n];
    const text = PAYLOADS[(i + 3) % n];
    const day = '2023-03-0' + (1 + (i % 7));
    const hh = String(8 + (i % 12)).padStart(2, '0');
    msgs.push([shop, buyer, agent, 'B', `${day} ${hh}:00:00`, text].map(csvField).join(','));
    msgs.push([shop, buyer, agent, 'A', `${day} ${hh}:00:30`, text].map(csvField).join(','));
    orders.push([shop, 'o' + i, buyer, `${day} ${hh}:10:00`, `${day} ${hh}:11:00`, '10.00', '1',
      'TRADE_FINISHED'].map(csvField).join(','));
  }
  fs.writeFileSync(path.join(dir, 'messages.csv'), msgs.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'orders.csv'), orders.join('\n') + '\n');
  // What the report must show: every shop and agent name verbatim (the
  // loader trims ASCII blanks around fields, as for every import).
  const trim = (s) => s.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  const shops = PAYLOADS.map(trim);
  const agents = PAYLOADS.map((p, i) => trim(p + ':' + PAYLOADS[(i + 1) % n]));
  fs.writeFileSync(path.join(dir, 'expect.json'), JSON.stringify({
    title: TITLE, also_without_csp: true, rows: n, names: { shops, agents },
    total: { '咨询人数': String(n), '接待人数': String(n), '销售额': (10 * n).toFixed(2) },
    cards: { consults: String(n), conv_rate: '100.00%', first_resp_s: '30.00', aov: '10.00' },
    resp: `接待会话 ${n} 个；中位数 30 秒，P90 30 秒`,
  }));
  fs.writeFileSync(path.join(dir, 'title.txt'), TITLE);
  fs.writeFileSync(path.join(dir, 'settings_shop.txt'), PAYLOADS[2]);
}

const TITLE = '</title><script>alert("title")</script>\u2028<img src=x onerror=alert(0)>';

async function check(reportPath, expectPath) {
  const expect = JSON.parse(fs.readFileSync(expectPath, 'utf8'));
  const { chromium } = require(path.join(WEB, 'playwright-core'));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'kefu-chromium-'));
  const failures = [];
  const results = {};
  const fail = (m) => failures.push(m);
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    offline: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--host-resolver-rules=MAP * ~NOTFOUND'],
  });
  try {
    const fileUrl = 'file://' + path.resolve(reportPath);
    const requests = [];
    const allowed = new Set([fileUrl, 'file://' + path.join(profile, 'nocsp.html')]);
    await ctx.route('**/*', (route) => {
      const u = route.request().url();
      if (allowed.has(u)) return route.continue();
      requests.push(u);
      return route.abort();
    });
    ctx.on('request', (req) => {
      const u = req.url();
      if (!allowed.has(u) && !u.startsWith('data:') && !requests.includes(u)) requests.push(u);
    });
    await ctx.addInitScript(() => {
      window.__kefuPwned = 0;
      window.__kefuViolations = [];
      const hit = () => { window.__kefuPwned++; };
      window.alert = hit; window.confirm = hit; window.prompt = hit; window.print = hit;
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__kefuViolations.push(e.violatedDirective + ' ' + e.blockedURI);
      });
    });
    const variants = [['csp', reportPath]];
    if (expect.also_without_csp) {
      // The same file with its Content-Security-Policy removed: escaping
      // alone must keep every payload inert.
      const html = fs.readFileSync(reportPath, 'utf8');
      const stripped = html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>\n/, '');
      if (stripped === html) fail('no CSP meta found to strip');
      const p2 = path.join(profile, 'nocsp.html');
      fs.writeFileSync(p2, stripped);
      variants.push(['nocsp', p2]);
    }
    for (const [name, file] of variants) {
      const page = await ctx.newPage();
      const url = 'file://' + path.resolve(file);
      let dialogs = 0;
      const errors = [];
      page.on('dialog', (d) => { dialogs++; d.dismiss().catch(() => {}); });
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('console', (m) => { if (m.type() === 'error') errors.push('console: ' + m.text()); });
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(() => document.body.getAttribute('data-ready') !== null,
        null, { timeout: 20000 });
      await page.waitForTimeout(300);
      const r = await page.evaluate(() => {
        const K = window.kefuReport;
        const ids = ['trend', 'heatmap', 'resp', 'funnel', 'sales'];
        const inst = ids.filter((id) => window.echarts && echarts.getInstanceByDom(document.getElementById(id)));
        // a canvas is drawn when some pixel is not transparent
        const drawn = Array.from(document.querySelectorAll('canvas')).filter((c) => {
          const g = c.getContext('2d');
          if (!g || !c.width || !c.height) return false;
          const d = g.getImageData(0, 0, c.width, c.height).data;
          for (let i = 3; i < d.length; i += 4) if (d[i]) return true;
          return false;
        }).length;
        const cards = {};
        document.querySelectorAll('.card').forEach((c) => {
          cards[c.getAttribute('data-key')] = c.querySelector('.value').textContent;
        });
        const heads = Array.from(document.querySelectorAll('#agents thead th')).map((t) => t.textContent);
        const rows = Array.from(document.querySelectorAll('#agents tbody tr')).map((tr) =>
          Array.from(tr.children).map((td) => td.textContent));
        const total = Array.from(document.querySelectorAll('#agents tfoot td')).map((td) => td.textContent);
        return {
          ready: document.body.getAttribute('data-ready'),
          pwned: window.__kefuPwned, violations: window.__kefuViolations,
          charts: K ? K.charts.length : 0, instances: inst.length,
          canvases: document.querySelectorAll('canvas').length, drawn,
          title: document.getElementById('title').textContent, docTitle: document.title,
          cards, heads, rows, total,
          // elements that only an injection could have created
          injected: document.querySelectorAll('main img, main svg:not([data-zr-dom-id]) script, main iframe, main script, main object, main embed, main form, main marquee, main details').length,
          resp: document.getElementById('respstat').textContent,
        };
      });
      // sorting: a numeric column sorts descending on the first click
      const sortCol = expect.sort ? expect.sort.col : '咨询人数';
      const ci = r.heads.indexOf(sortCol);
      let sorted = null;
      if (ci >= 0) {
        await page.click(`#agents thead th:nth-child(${ci + 1})`);
        sorted = await page.evaluate((ci) => Array.from(document.querySelectorAll('#agents tbody tr'))
          .map((tr) => tr.children[ci].textContent), ci);
      } else fail(name + ': no column ' + sortCol);
      // a tooltip: shown through ECharts, its HTML must carry only text
      const tip = await page.evaluate(() => {
        const c = echarts.getInstanceByDom(document.getElementById('trend'));
        c.dispatchAction({ type: 'showTip', seriesIndex: 0, dataIndex: 0 });
        const el = document.querySelector('#trend div[style*="position: absolute"]');
        return el ? { text: el.textContent, imgs: el.querySelectorAll('img,script,iframe').length } : null;
      });
      await page.waitForTimeout(100);
      const pwnedAfter = await page.evaluate(() => window.__kefuPwned);
      results[name] = { ...r, dialogs, errors, sorted, tip, pwnedAfter };
      const pre = name + ': ';
      if (r.ready !== '1') fail(pre + 'page script did not finish: ' + r.ready);
      if (errors.length) fail(pre + 'page errors: ' + errors.join(' | '));
      if (r.pwned || pwnedAfter || dialogs) fail(pre + `scripts ran: hooks ${r.pwned}/${pwnedAfter}, dialogs ${dialogs}`);
      if (r.violations.length) fail(pre + 'CSP violations (an injection was attempted): ' + r.violations.join(', '));
      if (r.injected) fail(pre + `${r.injected} injected elements`);
      if (r.charts !== 5 || r.instances !== 5) fail(pre + `charts ${r.charts}, instances ${r.instances}, want 5`);
      if (r.drawn < 5) fail(pre + `${r.drawn} drawn canvases of ${r.canvases}, want >= 5`);
      if (expect.title !== undefined && (r.title !== expect.title || r.docTitle !== expect.title))
        fail(pre + `title ${JSON.stringify(r.title)} / ${JSON.stringify(r.docTitle)}, want ${JSON.stringify(expect.title)}`);
      for (const [k, v] of Object.entries(expect.cards || {}))
        if (r.cards[k] !== v) fail(pre + `card ${k} = ${r.cards[k]}, want ${v}`);
      if (expect.rows !== undefined && r.rows.length !== expect.rows)
        fail(pre + `${r.rows.length} table rows, want ${expect.rows}`);
      for (const [col, want] of Object.entries(expect.total || {})) {
        const i = r.heads.indexOf(col);
        if (i < 0 || r.total[i] !== want) fail(pre + `total ${col} = ${i < 0 ? 'no column' : r.total[i]}, want ${want}`);
      }
      for (const cell of expect.cells || []) {
        // {agent, col, want}
        const ai = r.heads.indexOf('客服'), i = r.heads.indexOf(cell.col);
        const row = r.rows.find((x) => x[ai] === cell.agent);
        if (!row || row[i] !== cell.want) fail(pre + `${cell.agent} ${cell.col} = ${row ? row[i] : 'no row'}, want ${cell.want}`);
      }
      if (expect.names) {
        // every hostile shop and agent name appears verbatim as cell text
        const si = r.heads.indexOf('店铺'), ai = r.heads.indexOf('客服');
        const shops = new Set(r.rows.map((x) => x[si])), agents = new Set(r.rows.map((x) => x[ai]));
        let missing = 0;
        for (const s of expect.names.shops) if (!shops.has(s)) missing++;
        for (const a of expect.names.agents) if (!agents.has(a)) missing++;
        if (missing) fail(pre + `${missing} hostile names not shown verbatim`);
        results[name].names_checked = expect.names.shops.length + expect.names.agents.length;
      }
      if (expect.resp && r.resp !== expect.resp) fail(pre + `response stats '${r.resp}', want '${expect.resp}'`);
      if (sorted) for (let i = 1; i < sorted.length; i++) if (Number(sorted[i - 1]) < Number(sorted[i])) { fail(pre + `sort by ${sortCol} not descending`); break; }
      if (expect.sort && JSON.stringify(sorted) !== JSON.stringify(expect.sort.want)) fail(pre + `sorted ${JSON.stringify(sorted)}, want ${JSON.stringify(expect.sort.want)}`);
      if (!tip || !tip.text) fail(pre + 'no tooltip shown');
      else if (tip.imgs) fail(pre + 'tooltip has elements from data');
      await page.close();
    }
    results.requests = requests;
    if (requests.length) fail('network requests: ' + requests.join(' '));
  } finally {
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  for (const v of Object.values(results)) if (v && v.rows) v.rows = v.rows.length;
  console.log(JSON.stringify({ failures, results }));
  process.exit(failures.length ? 1 : 0);
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'payloads') writePayloads(a);
else if (mode === 'check') check(a, b).catch((e) => { console.log(JSON.stringify({ failures: [String(e.stack || e)] })); process.exit(1); });
else { console.error('usage: report_html.js payloads DIR | check REPORT.html EXPECT.json'); process.exit(2); }
