// Drives the Accounts page and the agent console in Debian's Chromium for
// crates/hotline/tests/an_admin_puts_an_agent_into_service_in_chromium.rs:
// the admin signs in with a one-time password and must choose their own,
// creates an agent with a SIP phone (the page shows the one-time password
// and the phone's secret once), the agent signs in in another browser,
// chooses their own password and goes available once their phone (SIPp,
// registered by the Rust test with that secret) is there, gets the pop of
// the test's call, and is signed out when the admin disables them.
// Prints one line per step (ADMIN_MUST_CHANGE, ADMIN_IN, CREATED {...},
// AGENT_IN, AGENT_AVAILABLE, POP {...}, AGENT_SIGNED_OUT {...}, DONE);
// screenshots go to $ARTIFACTS.
import { launch, openPage, signIn } from './chromium.mjs';

const url = process.env.HOTLINE_URL;
const artifacts = process.env.ARTIFACTS;
const step = (line) => console.log(line);

// The password form, as every page shows it when the password must change.
async function choosePassword(page, current, chosen) {
  await page.getByTestId('password-why').waitFor({ state: 'visible', timeout: 10000 });
  await page.getByTestId('password-current').fill(current);
  await page.getByTestId('password-new').fill(chosen);
  await page.getByTestId('password-again').fill(chosen);
  await page.getByTestId('password-submit').click();
}

const browser = await launch();
try {
  const admin = await openPage(browser, { width: 1366, height: 900 }, 'en');
  admin.on('dialog', (dialog) => dialog.accept());
  await signIn(admin, url, '/admin/', process.env.ADMIN_LOGIN, process.env.ADMIN_PASSWORD);
  await admin.getByTestId('password-form').waitFor({ state: 'visible', timeout: 10000 });
  const usersHidden = await admin.getByTestId('admin-users').isHidden();
  step(`ADMIN_MUST_CHANGE ${JSON.stringify({ usersHidden })}`);
  await admin.screenshot({ path: `${artifacts}/accounts-must-change.png` });
  await choosePassword(admin, process.env.ADMIN_PASSWORD, 'the admins own passphrase');
  await admin.locator('[data-testid="admin-user-row"][data-login="admin"]').waitFor({ timeout: 10000 });
  step('ADMIN_IN');

  await admin.getByTestId('admin-user-login').fill('wang.agent');
  await admin.getByTestId('admin-user-name').fill('王芳');
  await admin.getByTestId('admin-user-role').selectOption('agent');
  await admin.getByTestId('admin-user-department').fill('housing');
  await admin.getByTestId('admin-user-skills').fill('housing:5, general:5, lang_zh:5, lang_en:5');
  await admin.getByTestId('admin-user-phone').check();
  await admin.getByTestId('admin-user-add').click();
  const password = admin.getByTestId('admin-secret-password');
  const secret = admin.getByTestId('admin-secret-phone');
  await secret.waitFor({ state: 'visible', timeout: 10000 });
  await admin.locator('[data-testid="admin-phone-row"][data-login="wang.agent"]').waitFor({ timeout: 10000 });
  const made = { password: (await password.textContent()).trim(), secret: (await secret.textContent()).trim() };
  await admin.screenshot({ path: `${artifacts}/accounts-created.png`, fullPage: true });
  step(`CREATED ${JSON.stringify(made)}`);

  // The agent, in a browser of their own.
  const agentContext = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const agent = await agentContext.newPage();
  agent.on('pageerror', (e) => console.error(`agent page error: ${e}`));
  await signIn(agent, url, '/console/', 'wang.agent', made.password);
  await choosePassword(agent, made.password, 'wang fang chose this');
  await agent.getByTestId('btn-available').waitFor({ state: 'visible', timeout: 10000 });
  step('AGENT_IN');
  // Available once the phone is registered (the console refuses before).
  const deadline = Date.now() + 20000;
  for (;;) {
    await agent.getByTestId('btn-available').click();
    try {
      await agent.locator('[data-testid="state"][data-state="available"]').waitFor({ timeout: 1500 });
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
  }
  step('AGENT_AVAILABLE');

  const pop = agent.getByTestId('pop');
  await pop.waitFor({ state: 'visible', timeout: 30000 });
  const caller = (await agent.getByTestId('pop-caller').textContent()).trim();
  step(`POP ${JSON.stringify({ caller })}`);
  await agent.screenshot({ path: `${artifacts}/accounts-agent-pop.png` });

  // The leaver: disabled, and their open console signs out.
  const row = admin.locator('[data-testid="admin-user-row"][data-login="wang.agent"]');
  await row.getByTestId('admin-disable').click();
  await row.locator('[data-testid="admin-user-state"]', { hasText: 'disabled' }).waitFor({ timeout: 10000 });
  const disabledAt = Date.now();
  await agent.getByTestId('login-form').waitFor({ state: 'visible', timeout: 10000 });
  const notice = (await agent.getByTestId('notice').textContent()).trim();
  step(`AGENT_SIGNED_OUT ${JSON.stringify({ afterMs: Date.now() - disabledAt, notice })}`);
  await agent.screenshot({ path: `${artifacts}/accounts-agent-signed-out.png` });
  step('DONE');
} catch (e) {
  console.error(`FAILED ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
