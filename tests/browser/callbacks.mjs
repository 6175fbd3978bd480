// Drives the callback list in Debian's Chromium for
// crates/hotline/tests/callbacks_page_in_chromium.rs: the supervisor signs
// in to /callbacks/ and finds the citizen who asked to be called back among
// the open ones, raises its priority, then cancels it (accepting the
// confirmation) and finds it among the closed ones, cancelled by them.
// Prints one line per step (LISTED {...}, PRIORITY {...}, CANCELLED {...},
// DONE) for the Rust test to follow; screenshots go to $ARTIFACTS.
import { launch, openPage, signIn } from './chromium.mjs';

const url = process.env.HOTLINE_URL;
const login = process.env.SUPERVISOR_LOGIN;
const password = process.env.SUPERVISOR_PASSWORD;
const number = process.env.NUMBER;
const artifacts = process.env.ARTIFACTS;
const step = (line) => console.log(line);

const browser = await launch();
try {
  const page = await openPage(browser, { width: 1400, height: 800 }, 'en');
  page.on('dialog', (d) => d.accept());
  const cells = (row) => row.locator('td').allTextContents();

  await signIn(page, url, '/callbacks/', login, password);
  const open = page.locator('[data-testid="cb-open"] [data-testid="cb-row"]', { hasText: number });
  await open.waitFor({ timeout: 15000 });
  step(`LISTED ${JSON.stringify({ cells: await cells(open), nav: await page.getByTestId('link-callbacks').isVisible() })}`);
  await page.screenshot({ path: `${artifacts}/callbacks-open.png` });

  await open.getByTestId('cb-priority-input').fill('7');
  await open.getByTestId('cb-set-priority').click();
  await page.waitForFunction(
    (n) => [...document.querySelectorAll('[data-testid="cb-open"] [data-testid="cb-row"]')]
      .some((r) => r.textContent.includes(n) && r.querySelector('[data-testid="cb-cell-5"]')?.textContent === '7'),
    number, { timeout: 10000 },
  );
  step(`PRIORITY ${JSON.stringify({ cells: await cells(open), notice: await page.getByTestId('notice').textContent() })}`);

  await open.getByTestId('cb-cancel').click();
  const closed = page.locator('[data-testid="cb-closed"] [data-testid="cb-row"]', { hasText: number });
  await closed.waitFor({ timeout: 10000 });
  step(`CANCELLED ${JSON.stringify({ cells: await cells(closed), status: await closed.getAttribute('data-status') })}`);
  await page.screenshot({ path: `${artifacts}/callbacks-cancelled.png` });

  // The same page in Chinese.
  await page.getByTestId('lang-switch').click();
  step(`ZH ${JSON.stringify({ title: await page.locator('.page-title').textContent() })}`);
  step('DONE');
} finally {
  await browser.close();
}
