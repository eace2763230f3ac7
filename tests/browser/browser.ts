import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's chromium, which `.ci/run` installs with apt-get; the tests never download a browser. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
];

/** The built dashboard that the server serves at `/`. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../apps/dashboard/dist', import.meta.url));
/** Where the tests write their screenshots (ignored by git; a chosen set is copied to docs/screenshots). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../test-results/screenshots', import.meta.url));

/** Launches headless chromium; a missing browser or dashboard build is an error with the fix, never a skip. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: the browser tests need Debian's chromium (apt-get install -y chromium)`);
  }
  if (!existsSync(`${DASHBOARD_DIST}/index.html`)) {
    throw new Error(`${DASHBOARD_DIST}/index.html not found: build the dashboard first (pnpm build)`);
  }
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** Problems a page reported: console errors and uncaught page errors. */
export interface PageProblems {
  consoleErrors: string[];
  pageErrors: string[];
}

/** Opens a page that records its console errors and page errors. */
export async function openPage(browser: Browser): Promise<{ page: Page; problems: PageProblems }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const problems: PageProblems = { consoleErrors: [], pageErrors: [] };
  page.on('console', (message) => {
    if (message.type() === 'error') problems.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => problems.pageErrors.push(error.message));
  return { page, problems };
}

/** The first number an element shows ("1,234 labelled" -> 1234); NaN when it shows none. */
export async function tileNumber(page: Page, testId: string): Promise<number> {
  const text = await page.locator(`[data-testid=${testId}]`).innerText();
  const match = /\d[\d,]*(\.\d+)?/.exec(text);
  return match === null ? Number.NaN : Number(match[0].replace(/,/g, ''));
}
