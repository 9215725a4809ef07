/**
 * What the console's browser tests share: the built console, Debian's Chromium (/usr/bin/chromium,
 * installed by .ci/run; never a downloaded browser), signing in, and a page that fails its test on
 * a script error or a Content-Security-Policy violation.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Builds the console if need be (`npm test` builds first; a lone run of a file builds it here) and starts Chromium. */
export async function launchConsoleBrowser(): Promise<Browser> {
  if (!existsSync(`${root}dist/console/index.html`)) {
    execFileSync(process.execPath, [`${root}node_modules/vite/bin/vite.js`, 'build', '--config', 'console/vite.config.ts'], { cwd: root, stdio: 'ignore' });
  }
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: .ci/run installs it (apt-get install chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
}

/** Fills and submits the sign-in form (without waiting for the outcome). */
export async function submitSignIn(page: Page, serverUrl: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<void> {
  await page.goto(`${serverUrl}/console/`);
  await page.fill('input[name=accessKeyId]', credentials.accessKeyId);
  await page.fill('input[name=secretAccessKey]', credentials.secretAccessKey);
  await page.click('form[data-testid=sign-in] button[type=submit]');
}

/** Runs `run` in a fresh browser context; a page error or CSP violation fails the test. */
export async function withPage(browser: Browser, run: (page: Page) => Promise<void>): Promise<void> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('pageerror', (error) => failures.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) failures.push(message.text());
  });
  try {
    await run(page);
    expect(failures).toEqual([]);
  } finally {
    await context.close();
  }
}
