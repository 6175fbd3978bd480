// Drives the privacy officer's page in Debian's Chromium for
// crates/hotline/tests/privacy_page_in_chromium.rs: the officer signs in to
// /privacy/, finds the citizen under the request's reference, reads who
// saw the record, downloads the archive of everything held, erases the
// citizen (accepting the confirmation) and reads the receipt.
// Prints one line per step (FOUND {...}, EXPORTED {...}, ERASED {...},
// ZH {...}, DONE) for the Rust test to follow; screenshots go to $ARTIFACTS.
import { statSync } from 'node:fs';
import { launch, openPage, signIn } from './chromium.mjs';

const url = process.env.HOTLINE_URL;
const login = process.env.OFFICER_LOGIN;
const password = process.env.OFFICER_PASSWORD;
const number = process.env.NUMBER;
const request = process.env.REQUEST;
const artifacts = process.env.ARTIFACTS;
const step = (line) => console.log(line);

const browser = await launch();
try {
  const page = await openPage(browser, { width: 1400, height: 900 }, 'en');
  page.on('dialog', (d) => d.accept());

  await signIn(page, url, '/privacy/', login, password);
  await page.getByTestId('pv-request').fill(request);
  await page.getByTestId('pv-q').fill(number);
  await page.getByTestId('pv-find').click();
  const result = page.getByTestId('pv-result').first();
  await result.waitFor({ timeout: 10000 });
  await result.click();
  await page.getByTestId('pv-citizen').waitFor({ timeout: 10000 });
  await page.getByTestId('pv-access-row').first().waitFor({ timeout: 10000 });
  step(`FOUND ${JSON.stringify({
    name: await page.getByTestId('pv-name').textContent(),
    phones: await page.getByTestId('pv-phones').textContent(),
    access: await page.getByTestId('pv-access-row').count(),
    nav: await page.getByTestId('link-privacy').isVisible(),
    console_link: await page.getByTestId('link-console').isVisible(),
  })}`);
  await page.screenshot({ path: `${artifacts}/privacy-found.png` });

  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: 15000 }),
    page.getByTestId('pv-export').click(),
  ]);
  const saved = `${artifacts}/${download.suggestedFilename()}`;
  await download.saveAs(saved);
  step(`EXPORTED ${JSON.stringify({ file: saved, bytes: statSync(saved).size })}`);

  await page.getByTestId('pv-erase').click();
  await page.getByTestId('pv-receipt-box').waitFor({ timeout: 15000 });
  await page.getByTestId('pv-receipt-kind').filter({ hasText: 'Erasure' }).waitFor({ timeout: 10000 });
  step(`ERASED ${JSON.stringify({
    kind: await page.getByTestId('pv-receipt-kind').textContent(),
    request: await page.getByTestId('pv-receipt-request').textContent(),
    officer: await page.getByTestId('pv-receipt-officer').textContent(),
    removed: await page.getByTestId('pv-receipt-removed').textContent(),
    citizen_shown: await page.getByTestId('pv-citizen').isVisible(),
    requests: await page.getByTestId('pv-request-row').count(),
  })}`);
  await page.screenshot({ path: `${artifacts}/privacy-receipt.png` });

  await page.getByTestId('lang-switch').click();
  step(`ZH ${JSON.stringify({ title: await page.locator('.page-title').textContent() })}`);
  step('DONE');
} finally {
  await browser.close();
}
