// Drives the agent console in Debian's Chromium for
// crates/hotline/tests/console_in_chromium.rs: log in, go available, wait
// for the screen-pop of the call the test places, record the citizen's no to
// follow-up calls, save a case, read its
// reference, then ask to consult the transport queue (nobody is logged in
// there, so the console shows the refusal, worded in Chinese after a switch of
// language, and stays in the conversation).
// Prints one line per step (READY, POP {...}, CONSENT {...}, CASE <ref>,
// CONSULT <notice>, DONE)
// for the Rust test to follow; screenshots go to $ARTIFACTS.
import { launch, openPage, signIn } from './chromium.mjs';

const url = process.env.HOTLINE_URL;
const login = process.env.AGENT_LOGIN;
const password = process.env.AGENT_PASSWORD;
const artifacts = process.env.ARTIFACTS;
const step = (line) => console.log(line);

const browser = await launch();
try {
  const page = await openPage(browser, { width: 1366, height: 768 });
  await signIn(page, url, '/console/', login, password);
  await page.getByTestId('btn-available').click();
  await page.locator('[data-testid="state"][data-state="available"]').waitFor({ timeout: 10000 });
  await page.screenshot({ path: `${artifacts}/console-available.png` });
  step('READY');

  const pop = page.getByTestId('pop');
  await pop.waitFor({ state: 'visible', timeout: 30000 });
  const caller = (await page.getByTestId('pop-caller').textContent()).trim();
  const name = (await page.getByTestId('pop-citizen-name').textContent()).trim();
  step(`POP ${JSON.stringify({ caller, name })}`);
  await page.screenshot({ path: `${artifacts}/console-pop.png` });

  // The citizen says no to follow-up calls: the agent records it.
  await page.getByTestId('consent-follow_up-no').click();
  await page.waitForFunction(
    () => (document.querySelector('#pop-details')?.textContent || '').includes('Follow-up calls: no'),
    null, { timeout: 10000 },
  );
  step(`CONSENT ${JSON.stringify({ details: (await page.locator('#pop-details').textContent()).trim() })}`);

  // A work order: a category (its department and deadline come from the
  // catalogue), where, and what; dispatched when saved.
  await page.getByTestId('case-category').selectOption('request');
  await page.getByTestId('case-district').selectOption('东城区');
  await page.getByTestId('case-street').selectOption('景山街道');
  await page.getByTestId('case-address').fill('景山前街 4 号');
  await page.getByTestId('case-summary').fill('Street light out on Zhongshan Road for three nights');
  await page.getByTestId('case-submit').click();
  const caseRef = page.getByTestId('case-ref');
  await caseRef.waitFor({ state: 'visible', timeout: 10000 });
  await page.waitForFunction(
    () => /\d{6}-\d{5}-\d/.test(document.querySelector('[data-testid="case-ref"]')?.textContent || ''),
    null,
    { timeout: 10000 },
  );
  step(`CASE ${(await caseRef.textContent()).trim()} ${await caseRef.getAttribute('data-phase')}`);
  await page.screenshot({ path: `${artifacts}/console-case.png`, fullPage: true });

  await page.locator('[data-testid="call-status"][data-phase="answered"]').waitFor({ timeout: 10000 });
  // In Chinese: the refusal comes typed and the page words it.
  await page.getByTestId('lang-switch').click();
  await page.getByTestId('transfer-queue').selectOption('queue:transport');
  await page.getByTestId('btn-consult').click();
  const notice = page.locator('#notice.error');
  await notice.waitFor({ state: 'visible', timeout: 10000 });
  const completeHidden = await page.getByTestId('btn-consult-complete').isHidden();
  step(`CONSULT ${JSON.stringify({ notice: (await notice.textContent()).trim(), completeHidden })}`);
  step('DONE');
} catch (e) {
  console.error(`FAILED ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
