// dashboard.mjs - the dashboard in a real browser (tests/e2e/serve_browser.sh):
// a merchant logs in, sees the overview chart drawn and only its own shops,
// drills down from an agent to a day to the chats and the messages of one
// chat, opens trends, hourly volume and settings, downloads the figures as
// XLSX and CSV, and logs out. No console error, page error or CSP
// violation may occur on the way.
// env: BASE, KUSER, KPASS, SHOPS (comma-separated shops of the merchant),
//      OTHER_SHOP (a shop it must never see), DL_DIR
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openBrowser, login, check, failed, viewReady, go } from './browser.mjs';

const { BASE, KUSER, KPASS, SHOPS, OTHER_SHOP, DL_DIR } = process.env;
const mine = SHOPS.split(',');
const b = await openBrowser();
const { page } = b;
try {
  await login(page, BASE, KUSER, KPASS);
  await viewReady(page, 'overview');
  check((await page.textContent('#view-error')) === '', 'overview loads without error');
  await page.waitForSelector('#chart-overview[data-rendered="1"] canvas', { timeout: 15000 });
  const drawn = await page.evaluate(() => {
    const c = document.querySelector('#chart-overview canvas');
    const inst = echarts.getInstanceByDom(document.getElementById('chart-overview'));
    const opt = inst && inst.getOption();
    return { w: c.width, h: c.height, days: opt ? opt.xAxis[0].data.length : 0 };
  });
  check(drawn.w > 100 && drawn.h > 100 && drawn.days > 0, `overview chart drawn (${drawn.w}x${drawn.h}, ${drawn.days} days)`);
  const shops = await page.$$eval('.shop-card .label:first-child', (els) => els.map((e) => e.textContent));
  check(shops.length === mine.length && shops.every((s) => mine.includes(s)), 'overview shows exactly the merchant\'s shops: ' + shops.join(','));
  const options = await page.$$eval('#f-shop option', (els) => els.map((e) => e.value).filter(Boolean));
  check(options.every((s) => mine.includes(s)) && !options.includes(OTHER_SHOP), 'shop selector lists only own shops');
  const body = await page.textContent('body');
  check(!body.includes(OTHER_SHOP), 'no trace of the other shop on the page');

  // agents -> agent -> day -> chats -> messages
  await go(page, '#/agents', 'agents');
  const agentBtns = await page.$$('button.link[data-col="agent"]');
  check(agentBtns.length > 0, `agents table lists ${agentBtns.length} agents`);
  const agentName = await agentBtns[0].textContent();
  await page.evaluate(() => document.body.removeAttribute('data-view-ready'));
  await agentBtns[0].click();
  await viewReady(page, 'agent');
  check((await page.textContent('#view-title')).includes(agentName), 'agent page opened for ' + agentName);
  const consultCells = await page.$$('button.link[data-col="consults"]');
  check(consultCells.length > 0, `agent page has ${consultCells.length} days`);
  // the first day with a non-zero consult count
  let dayBtn = null, count = 0;
  for (const c of consultCells) { count = Number(await c.textContent()); if (count > 0) { dayBtn = c; break; } }
  check(dayBtn !== null, 'a day with consults exists');
  await page.evaluate(() => document.body.removeAttribute('data-view-ready'));
  await dayBtn.click();
  await viewReady(page, 'agent');
  await page.waitForSelector('button.link[data-col="buyer"]');
  const chats = await page.$$('button.link[data-col="buyer"]');
  // every consult of the day is one chat row
  const consultRows = await page.$$eval('table.data tbody tr', (trs) => trs.length);
  check(consultRows >= count, `the chats behind the number: ${consultRows} chat rows for ${count} consults`);
  await chats[0].click();
  await page.waitForSelector('#messages table tr');
  const msgs = await page.$$eval('#messages table tr', (trs) => trs.length);
  check(msgs > 0, `messages of the first chat shown (${msgs})`);

  await go(page, '#/trends', 'trends');
  await page.waitForSelector('#chart-trends[data-rendered="1"] canvas', { timeout: 15000 });
  check(true, 'trends chart drawn');
  await go(page, '#/hourly', 'hourly');
  await page.waitForSelector('#chart-hourly[data-rendered="1"] canvas', { timeout: 15000 });
  check(true, 'hourly heatmap drawn');
  await go(page, '#/settings', 'settings');
  check((await page.textContent('#view-error')) === '', 'settings history loads');
  const setShops = await page.$$eval('#view tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
  check(setShops.every((s) => s === '*' || mine.includes(s)), 'settings history shows only * and own shops');

  // a burst of route changes: only the last route's content is shown,
  // whatever order the earlier routes' API answers arrive in
  await page.evaluate(() => {
    document.body.removeAttribute('data-view-ready');
    location.hash = '#/agents';
    setTimeout(() => { location.hash = '#/trends'; }, 0);
    setTimeout(() => { location.hash = '#/overview'; }, 5);
  });
  await viewReady(page, 'overview');
  await page.waitForTimeout(1500); // answers for the stale routes arrive meanwhile
  const parts = await page.$$eval('#view > *', (els) => els.map((e) => e.id || e.className));
  const n = (x) => parts.filter((p) => p === x).length;
  check(n('cards') === 1 && n('chart-overview') === 1 && n('chart-agents') === 0 && n('chart-trends') === 0 &&
        n('data') === 1, 'a burst of route changes shows only the last page: ' + parts.join(','));

  // downloads
  for (const [id, magic] of [['#dl-xlsx', 'PK'], ['#dl-csv', 'shop']]) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
    const path = join(DL_DIR, dl.suggestedFilename());
    await dl.saveAs(path);
    const head = readFileSync(path).subarray(0, 4).toString('latin1');
    check(head.startsWith(magic), `${id} downloaded ${dl.suggestedFilename()} (starts with ${JSON.stringify(head)})`);
  }

  await page.click('#logout');
  await page.waitForSelector('#login', { state: 'visible' });
  const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
  check(me === 401, 'after logout the session is gone');
  check(b.problems.length === 0, 'no console errors, page errors or CSP violations' + (b.problems.length ? ': ' + b.problems.join(' | ') : ''));
  check(b.dialogs.length === 0, 'no dialogs');
} catch (e) {
  check(false, 'exception: ' + e.stack);
} finally {
  await b.close();
}
process.exit(failed() ? 1 : 0);
