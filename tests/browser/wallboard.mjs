// Drives the supervisor pages in Debian's Chromium for
// crates/hotline/tests/wallboard_in_chromium.rs: the supervisor signs in
// to the wallboard and waits for the live picture; the test places a call
// into the housing queue while its only agent is on break, and the
// wallboard shows the caller waiting; the test makes the agent available,
// and the wallboard shows them on the call, the queue empty, and the call
// answered today; the supervisor listens in on it through their own
// phone and leaves (LISTENING, STOPPED); then the report page draws its charts and the department
// view its own. Prints one line per step (READY, WAITING {...},
// ANSWERED {...}, COUNTED {...}, REPORT {...}, DONE) for the Rust test to
// follow; screenshots go to $ARTIFACTS.
import { launch, openPage, signIn } from './chromium.mjs';

const url = process.env.HOTLINE_URL;
const login = process.env.SUPERVISOR_LOGIN;
const password = process.env.SUPERVISOR_PASSWORD;
const agent = process.env.AGENT_LOGIN;
const queue = process.env.QUEUE;
const artifacts = process.env.ARTIFACTS;
const step = (line) => console.log(line);

const tile = `[data-testid="wb-queue"][data-queue="${queue}"]`;
const chip = `[data-testid="wb-agent"][data-agent="${agent}"]`;

const browser = await launch();
try {
  const page = await openPage(browser, { width: 1600, height: 900 }, 'en');
  const figure = (testid) => page.evaluate(([t, id]) => {
    const node = document.querySelector(`${t} [data-testid="${id}"]`);
    return node ? node.textContent.trim() : null;
  }, [tile, testid]);

  await signIn(page, url, '/wallboard/', login, password);
  await page.locator('[data-testid="wb-status"][data-state="live"]').waitFor({ timeout: 15000 });
  await page.locator(tile).waitFor({ timeout: 10000 });
  await page.locator(chip).waitFor({ timeout: 10000 });
  await page.screenshot({ path: `${artifacts}/wallboard-ready.png` });
  step('READY');

  // The caller queues: the tile counts them and the longest wait grows.
  await page.waitForFunction(
    (t) => Number(document.querySelector(`${t} [data-testid="wb-waiting"]`)?.textContent) >= 1,
    tile, { timeout: 30000 },
  );
  step(`WAITING ${JSON.stringify({ waiting: await figure('wb-waiting'), longest: await figure('wb-longest') })}`);
  await page.screenshot({ path: `${artifacts}/wallboard-waiting.png` });

  // The agent takes the call: on the call (or already in wrap-up), nobody waiting.
  await page.waitForFunction(
    ([t, c]) => ['on_call', 'wrap_up'].includes(document.querySelector(c)?.dataset.state)
      && Number(document.querySelector(`${t} [data-testid="wb-waiting"]`)?.textContent) === 0,
    [tile, chip], { timeout: 30000 },
  );
  const state = await page.locator(chip).getAttribute('data-state');
  step(`ANSWERED ${JSON.stringify({ state, waiting: await figure('wb-waiting') })}`);
  await page.screenshot({ path: `${artifacts}/wallboard-answered.png` });

  // The supervisor listens in through their own phone, then leaves: the
  // chip of an agent on a call offers Listen / Whisper / Barge; once
  // joined, Listen is marked and Stop shows.
  const button = (mode) => page.locator(`${chip} [data-testid="wb-${mode}"]`);
  await button('listen').waitFor({ state: 'visible', timeout: 10000 });
  const offered = await page.evaluate((c) => [...document.querySelectorAll(`${c} .wb-monitor button`)]
    .filter((b) => !b.hidden).map((b) => b.dataset.mode), chip);
  await button('listen').click();
  await page.waitForFunction((c) => document.querySelector(`${c} [data-testid="wb-listen"]`)?.classList.contains('active')
    && !document.querySelector(`${c} [data-testid="wb-stop"]`)?.hidden, chip, { timeout: 10000 });
  const notice = await page.evaluate(() => document.querySelector('[data-testid="notice"]')?.textContent?.trim() ?? null);
  step(`LISTENING ${JSON.stringify({ offered, notice })}`);
  await page.screenshot({ path: `${artifacts}/wallboard-listening.png` });
  // Time for the supervisor's phone to answer before leaving.
  await page.waitForTimeout(3000);
  await button('stop').click();
  await button('stop').waitFor({ state: 'hidden', timeout: 10000 });
  step('STOPPED');

  // Today's figures from the store count the call.
  await page.waitForFunction(
    (t) => Number(document.querySelector(`${t} [data-testid="wb-answered"]`)?.textContent) >= 1,
    tile, { timeout: 30000 },
  );
  step(`COUNTED ${JSON.stringify({ offered: await figure('wb-offered'), answered: await figure('wb-answered'), sl: await figure('wb-sl') })}`);
  await page.screenshot({ path: `${artifacts}/wallboard-counted.png` });

  // The day's report draws its charts.
  await page.goto(`${url}/reports/`);
  await page.getByTestId('report-bucket').selectOption('15min');
  await page.getByTestId('report-run').click();
  await page.locator('[data-testid="chart-calls"][data-rendered="true"]').waitFor({ timeout: 15000 });
  await page.waitForFunction(() => Number(document.querySelector('[data-testid="chart-calls"]').dataset.points) > 0
    && Number(document.querySelector('[data-testid="chart-waits"]')?.dataset.points) > 0, null, { timeout: 15000 });
  const report = await page.evaluate(() => ({
    offered: document.querySelector('[data-testid="kpi-offered"]').textContent,
    answered: document.querySelector('[data-testid="kpi-answered"]').textContent,
    bars: document.querySelectorAll('[data-testid="chart-calls"] rect.bar').length,
    slPoints: Number(document.querySelector('[data-testid="chart-sl"]').dataset.points),
    waitBars: document.querySelectorAll('[data-testid="chart-waits"] rect.bar').length,
    rows: document.querySelectorAll('[data-testid="report-table"] tbody tr').length,
    csv: document.querySelector('[data-testid="export-csv"]').getAttribute('href'),
  }));
  step(`REPORT ${JSON.stringify(report)}`);
  await page.screenshot({ path: `${artifacts}/reports.png`, fullPage: true });

  await page.goto(`${url}/departments/`);
  await page.locator('[data-testid="chart-open-overdue"][data-rendered="true"]').waitFor({ timeout: 15000 });
  await page.screenshot({ path: `${artifacts}/departments.png`, fullPage: true });
  step('DONE');
} catch (e) {
  console.error(`FAILED ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
