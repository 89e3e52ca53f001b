// browser.mjs - shared setup of the dashboard's browser tests: Debian's
// chromium driven by playwright-core, headless, with a fresh profile, and a
// collector of console errors, page errors, CSP violations and dialogs.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function openBrowser(extra) {
  const profile = mkdtempSync(join(tmpdir(), 'kefu-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    acceptDownloads: true,
    ...(extra || {}),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = ctx.pages()[0] || (await ctx.newPage());
  const problems = [];
  const dialogs = [];
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  // (the 401 of /api/v1/me before login is expected; Chrome logs it)
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text())) problems.push('console: ' + m.text());
  });
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  return {
    ctx, page, problems, dialogs,
    async close() { await ctx.close(); rmSync(profile, { recursive: true, force: true }); },
  };
}

export async function login(page, base, user, password) {
  await page.goto(base + '/');
  await page.waitForSelector('#login-form', { state: 'visible' });
  await page.fill('#login-user', user);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForSelector('#app', { state: 'visible' });
}

let failures = 0;
export function check(cond, what) {
  if (cond) console.log('ok   ' + what);
  else { console.log('FAIL ' + what); failures++; }
}
export function failed() { return failures; }

/* Waits until the view `name` has finished loading (app.js sets it). */
export async function viewReady(page, name) {
  // (a selector, not waitForFunction: the page's CSP forbids eval)
  await page.waitForSelector(`body[data-view-ready="${name}"]`, { state: 'attached' });
}
export async function go(page, hash, name) {
  await page.evaluate(() => document.body.removeAttribute('data-view-ready'));
  await page.evaluate((h) => {
    if (location.hash === h) window.dispatchEvent(new HashChangeEvent('hashchange'));
    else location.hash = h;
  }, hash);
  await viewReady(page, name);
}
