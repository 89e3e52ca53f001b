// review.mjs - the renewal review from the dashboard (tests/e2e/serve_review.sh):
// a merchant holding the contract's shops logs in, opens 合同 Contracts, sees
// its contract, follows the review link and gets the review page drawn
// under the page's own CSP (no script), with no console error, page error or
// CSP violation on the way.
// env: BASE, KUSER, KPASS, CONTRACT
import { openBrowser, login, check, failed, go } from './browser.mjs';

const { BASE, KUSER, KPASS, CONTRACT } = process.env;
const b = await openBrowser();
const { page, ctx, problems } = b;
try {
  await login(page, BASE, KUSER, KPASS);
  check(await page.isVisible('#nav-contracts'), 'the Contracts link is shown to a merchant');
  await go(page, '#/contracts', 'contracts');
  check((await page.textContent('#view-error')) === '', 'contracts page loads without error');
  const ids = await page.$$eval('#contracts tbody tr td:first-child', (tds) => tds.map((t) => t.textContent));
  check(ids.length === 1 && ids[0] === CONTRACT, 'the merchant\'s contract is listed: ' + ids.join(','));
  const [review] = await Promise.all([ctx.waitForEvent('page'), page.click('a.review-link')]);
  const violations = [];
  review.on('console', (m) => { if (m.type() === 'error') violations.push(m.text()); });
  await review.waitForLoadState('load');
  const text = await review.textContent('body');
  check(/续约/.test(text), 'the review page shows its recommendation');
  check(text.includes(CONTRACT), 'the review page names the contract');
  const styled = await review.evaluate(() => getComputedStyle(document.body).fontFamily !== '' &&
    document.styleSheets.length > 0);
  check(styled, 'the page\'s inline style sheet applies under its CSP');
  check(violations.length === 0, 'no console error on the review page: ' + violations.join(' | '));
  check(problems.length === 0, 'no console error, page error or CSP violation: ' + problems.join(' | '));
} finally {
  await b.close();
}
process.exit(failed() ? 1 : 0);
