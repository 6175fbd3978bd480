// Drives the agent console as a softphone in Debian's Chromium for
// crates/hotline/tests/agent_answers_in_the_browser.rs: the fake
// microphone plays $FAKE_AUDIO (a 1 kHz tone); the agent chooses browser
// audio, goes available, the call the test places rings in the page, the
// agent answers, the page hears the citizen (a WebAudio analyser on the
// call's audio), restarts ICE as a network change makes it, presses a key
// on the pad, holds and resumes, reloads the
// page mid-call (the hotline offers the call to the page again), hears the
// citizen again and hangs up.
// Then a second browser that refuses the microphone shows the refusal.
// With STEPS=short it hangs up after TALKING.
// Prints one line per step (READY, RING {...}, TALKING {...}, RESTARTED
// {...}, KEY, HOLD {...}, RESUMED, AGAIN {...}, REFUSED {...}, DONE) for
// the Rust test; screenshots go to $ARTIFACTS.
import { launch, openPage, signIn } from './chromium.mjs';

const url = process.env.HOTLINE_URL;
const artifacts = process.env.ARTIFACTS;
const step = (line) => console.log(line);
const waitStatus = (page, state, timeout = 20000) =>
  page.locator(`[data-testid="sp-status"][data-state="${state}"]`).waitFor({ timeout });
// The strongest frequency the agent hears, and whether the audio is up.
const heard = (page) => page.evaluate(async () => ({
  hz: Math.round(await window.hotlineSoftphone.peakFrequency()),
  ...window.hotlineSoftphone.state(),
}));

const browser = await launch([
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  `--use-file-for-fake-audio-capture=${process.env.FAKE_AUDIO}`,
  '--autoplay-policy=no-user-gesture-required',
]);
try {
  const page = await openPage(browser, { width: 1366, height: 900 }, 'en');
  await signIn(page, url, '/console/', process.env.AGENT_LOGIN, process.env.AGENT_PASSWORD);
  await page.getByTestId('audio-mode').selectOption('browser');
  await waitStatus(page, 'ready');
  await page.getByTestId('btn-available').click();
  await page.locator('[data-testid="state"][data-state="available"]').waitFor({ timeout: 10000 });
  step('READY');

  await waitStatus(page, 'ringing', 40000);
  await page.getByTestId('pop').waitFor({ state: 'visible', timeout: 10000 });
  step(`RING ${JSON.stringify({ status: (await page.getByTestId('sp-status').textContent()).trim() })}`);
  await page.screenshot({ path: `${artifacts}/softphone-ringing.png` });
  await page.getByTestId('sp-answer').click();
  await waitStatus(page, 'talking');
  await page.waitForFunction(() => window.hotlineSoftphone.state().ice === 'connected'
    || window.hotlineSoftphone.state().ice === 'completed', null, { timeout: 15000 });
  await page.waitForTimeout(1500);
  step(`TALKING ${JSON.stringify(await heard(page))}`);
  await page.screenshot({ path: `${artifacts}/softphone-talking.png` });
  if (process.env.STEPS === 'short') {
    await page.getByTestId('sp-hangup').click();
    await waitStatus(page, 'ready', 20000);
    step('DONE');
    process.exit(0);
  }

  // A network change: the page restarts ICE on the live connection and
  // the hotline answers its offer on the same leg (new ICE credentials).
  const before = await page.evaluate(() => window.hotlineSoftphone.state().ufrag);
  await page.evaluate(() => window.hotlineSoftphone.restartIce());
  await page.waitForFunction((old) => {
    const s = window.hotlineSoftphone.state();
    return s.ufrag && s.ufrag !== old && (s.ice === 'connected' || s.ice === 'completed');
  }, before, { timeout: 15000 });
  await page.waitForTimeout(1000);
  step(`RESTARTED ${JSON.stringify(await heard(page))}`);

  await page.getByTestId('sp-key-5').click();
  await page.waitForTimeout(500);
  step('KEY');

  await page.getByTestId('btn-hold').click();
  await page.waitForFunction(() => (document.querySelector('[data-testid="call-status"]')?.textContent || '').length > 0
    && document.querySelector('[data-testid="btn-hold"]')?.textContent !== 'Hold', null, { timeout: 10000 });
  await page.waitForTimeout(1000);
  step(`HOLD ${JSON.stringify(await heard(page))}`);
  await page.getByTestId('btn-hold').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="btn-hold"]')?.textContent === 'Hold',
    null, { timeout: 10000 });
  step('RESUMED');

  // A refresh mid-call: the page comes back and the call with it.
  await page.reload();
  await waitStatus(page, 'talking', 20000);
  await page.waitForFunction(() => window.hotlineSoftphone.state().ice === 'connected'
    || window.hotlineSoftphone.state().ice === 'completed', null, { timeout: 15000 });
  await page.waitForTimeout(1500);
  step(`AGAIN ${JSON.stringify(await heard(page))}`);
  await page.screenshot({ path: `${artifacts}/softphone-again.png` });

  // The reloaded page has no screen-pop: its browser phone hangs up.
  await page.getByTestId('sp-hangup').click();
  await waitStatus(page, 'ready', 20000);

  // A browser that refuses the microphone: the page says so plainly.
  const refusing = await launch(['--use-fake-device-for-media-stream']);
  try {
    const denied = await refusing.newContext({ permissions: [] });
    const other = await denied.newPage();
    await signIn(other, url, '/console/', process.env.AGENT_LOGIN, process.env.AGENT_PASSWORD);
    await other.getByTestId('audio-mode').selectOption('browser');
    await waitStatus(other, 'mic_refused', 20000);
    step(`REFUSED ${JSON.stringify({ status: (await other.getByTestId('sp-status').textContent()).trim() })}`);
    await other.screenshot({ path: `${artifacts}/softphone-mic-refused.png` });
  } finally {
    await refusing.close();
  }
  step('DONE');
} catch (e) {
  console.error(`softphone script: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
