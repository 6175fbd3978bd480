// How the browser scripts start Debian's Chromium (through playwright-core,
// no browser download) and open their page: headless, without the
// background networking that this machine's closed network refuses, with
// what the page logs passed to stderr for the Rust test's failure message.
import { chromium } from 'playwright-core';

// `extra`: more switches (the softphone's fake microphone, say).
export function launch(extra = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extra],
  });
}

// A page of `viewport` size; `lang`, when given, is the language the pages
// start in (the console's own choice otherwise).
export async function openPage(browser, viewport, lang) {
  const page = await browser.newPage({ viewport });
  page.on('console', (m) => console.error(`page ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => console.error(`page error: ${e}`));
  if (lang) await page.addInitScript((l) => localStorage.setItem('hotline.lang', l), lang);
  return page;
}

// Opens `path` of the hotline at `url` and signs in through its login form.
export async function signIn(page, url, path, login, password) {
  await page.goto(`${url}${path}`);
  await page.getByTestId('login-user').fill(login);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
}
