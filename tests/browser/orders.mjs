// Drives the work orders page in Debian's Chromium for
// crates/hotline/tests/work_orders_page_in_chromium.rs: the housing
// department's handler signs in to /orders/, finds the order in the
// department's inbox, opens it, accepts it, attaches the site visit's
// notes as a file, replies to the citizen and closes it, each with the
// buttons the server offers, and reads the history.
// Prints one line per step (INBOX {...}, OPENED {...}, CLOSED {...}, ZH
// {...}, DONE) for the Rust test to follow; screenshots go to $ARTIFACTS.
import { launch, openPage, signIn } from './chromium.mjs';

const url = process.env.HOTLINE_URL;
const login = process.env.HANDLER_LOGIN;
const password = process.env.HANDLER_PASSWORD;
const reference = process.env.REFERENCE;
const reply = process.env.REPLY || 'The stairwell light was replaced on Thursday.';
const artifacts = process.env.ARTIFACTS;
const step = (line) => console.log(line);

const browser = await launch();
try {
  const page = await openPage(browser, { width: 1400, height: 1000 }, 'en');

  await signIn(page, url, '/orders/', login, password);
  const row = page.locator(`[data-testid="orders-inbox"] [data-testid="order-row"][data-reference="${reference}"]`);
  await row.waitFor({ timeout: 15000 });
  step(`INBOX ${JSON.stringify({
    department: await page.getByTestId('orders-department').inputValue(),
    phase: await row.getAttribute('data-phase'),
    cells: await row.locator('td').allTextContents(),
    hotlineLists: await page.getByTestId('orders-awaiting').isVisible(),
    nav: { orders: await page.getByTestId('link-orders').isVisible(), console: await page.getByTestId('link-console').isVisible() },
  })}`);
  await page.screenshot({ path: `${artifacts}/orders-inbox.png` });

  await row.getByTestId('order-open').click();
  const detail = page.getByTestId('order-detail');
  await detail.waitFor({ state: 'visible', timeout: 10000 });
  const buttons = async () => (await page.locator('#d-buttons button').evaluateAll((bs) => bs.map((b) => b.dataset.testid)));
  step(`OPENED ${JSON.stringify({ buttons: await buttons(), citizen: await page.getByTestId('order-citizen').textContent() })}`);

  const phase = (p) => page.locator(`[data-testid="order-detail"][data-phase="${p}"]`).waitFor({ timeout: 10000 });
  await page.getByTestId('order-do-accept').click();
  await phase('in_progress');
  await page.getByTestId('order-file').setInputFiles({
    name: 'site-visit.txt', mimeType: 'text/plain', buffer: Buffer.from(`Site visit for ${reference}: seen and fixed.\n`),
  });
  await page.getByTestId('order-do-add_attachment').click();
  await page.getByTestId('attachment-link').first().waitFor({ timeout: 10000 });
  await page.getByTestId('order-text').fill(reply);
  await page.getByTestId('order-do-reply').click();
  await phase('replied');
  await page.getByTestId('order-do-close').click();
  await phase('closed');
  const history = await page.locator('[data-testid="history-item"]').evaluateAll((items) => items.map((i) => i.dataset.kind));
  step(`CLOSED ${JSON.stringify({
    history, reply: await page.getByTestId('order-reply').textContent(), buttons: await buttons(),
    attachments: await page.getByTestId('attachment-link').allTextContents(),
  })}`);
  await page.screenshot({ path: `${artifacts}/orders-closed.png`, fullPage: true });

  await page.getByTestId('lang-switch').click();
  step(`ZH ${JSON.stringify({ title: await page.locator('.page-title').textContent(), phase: await page.getByTestId('order-phase').textContent() })}`);
  step('DONE');
} finally {
  await browser.close();
}
