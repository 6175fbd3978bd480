// Drives the work orders page in Debian's Chromium for
// crates/hotline/tests/work_orders_page_in_chromium.rs: the demo
// dispatcher signs in to /orders/, opens a duplicate order from the
// housing inbox, types the master's reference (grouped, as read out) into
// "Duplicate of order" and presses the merge button (并单) the server
// offers. Prints OPENED {...}, MERGED {...} and DONE for the Rust test;
// screenshots go to $ARTIFACTS.
import { launch, openPage, signIn } from './chromium.mjs';

const url = process.env.HOTLINE_URL;
const duplicate = process.env.DUPLICATE;
const master = process.env.MASTER;
const artifacts = process.env.ARTIFACTS;
const step = (line) => console.log(line);

const browser = await launch();
try {
  const page = await openPage(browser, { width: 1400, height: 1000 }, 'en');

  await signIn(page, url, '/orders/', process.env.LOGIN, process.env.PASSWORD);
  await page.getByTestId('orders-department').waitFor({ timeout: 15000 });
  await page.getByTestId('orders-department').selectOption('housing');
  const row = page.locator(`[data-testid="orders-inbox"] [data-testid="order-row"][data-reference="${duplicate}"]`);
  await row.waitFor({ timeout: 15000 });
  await row.getByTestId('order-open').click();
  const detail = page.getByTestId('order-detail');
  await detail.waitFor({ state: 'visible', timeout: 10000 });
  const buttons = async () => (await page.locator('#d-buttons button').evaluateAll((bs) => bs.map((b) => b.dataset.testid)));
  step(`OPENED ${JSON.stringify({ buttons: await buttons(), into: await page.getByTestId('order-merge-into').isVisible() })}`);

  const grouped = master.replace(/^(\d{6})(\d{5})(\d)$/, '$1-$2-$3');
  await page.getByTestId('order-merge-into').fill(grouped);
  await page.getByTestId('order-do-merge').click();
  await page.locator('[data-testid="order-detail"][data-phase="merged"]').waitFor({ timeout: 10000 });
  const history = await page.locator('[data-testid="history-item"]').evaluateAll((items) => items.map((i) => i.dataset.kind));
  step(`MERGED ${JSON.stringify({ history, buttons: await buttons(), phase: await page.getByTestId('order-phase').textContent(), into: await page.getByTestId('order-merged-into').textContent() })}`);
  await page.screenshot({ path: `${artifacts}/orders-merged.png`, fullPage: true });
  step('DONE');
} finally {
  await browser.close();
}
