import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startServer, type RunningServer } from '@fraudstream/server';
import { createSystem, type System } from '@fraudstream/system';
import { until } from '../utils/poll.js';
import { DASHBOARD_DIST, launchBrowser, openPage, SCREENSHOT_DIR } from './browser.js';

// The dashboard's rules panel in chromium against the real server and system (with a token, as off loopback): an
// operator types a rules text, a bad one shows the server's error naming the rule, line and column, a good one goes
// live and its rule's hits and hits/s appear from the pushed stats.

const TOKEN = 'panel-token-42';
let browser: Browser;
let system: System;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  browser = await launchBrowser();
  system = await createSystem({ source: { kind: 'generator', tps: 2_000, seed: 9 }, workers: 1 });
  server = await startServer({ system, port: 0, staticDir: DASHBOARD_DIST, token: TOKEN, pushIntervalMs: 200 });
  base = `http://127.0.0.1:${server.port}`;
  await system.start();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('dashboard rules panel', () => {
  it('applies a rules text with the token, shows a refused one with its rule and position, and shows live hits', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`${base}/#token=${TOKEN}`);
    const text = page.locator('[data-testid=rules-text]');
    await text.fill('rule UI_BAD review: amount >> 3');
    await page.locator('[data-testid=rules-apply]').click();
    const error = page.locator('[data-testid=rules-error]');
    await error.waitFor();
    expect(await error.innerText()).toMatch(/UI_BAD at line 1, column \d+/);
    expect(system.ruleStats().rules).toEqual([]);

    await text.fill('rule UI_ALL flag: amount >= 0\nrule UI_NONE flag: amount < 0');
    await page.locator('[data-testid=rules-apply]').click();
    await page.locator('[data-testid=rules-note]').waitFor();
    expect(await page.locator('[data-testid=rules-error]').count()).toBe(0);
    const hitsOf = async (name: string): Promise<number> =>
      Number((await page.locator(`[data-testid=rule-row][data-rule=${name}] [data-testid=rule-hits]`).innerText()).replace(/,/g, ''));
    const first = await until(async () => ((await page.locator('[data-rule=UI_ALL]').count()) > 0 && (await hitsOf('UI_ALL')) > 0 ? hitsOf('UI_ALL') : undefined));
    await until(async () => ((await hitsOf('UI_ALL')) > first ? true : undefined));
    await until(async () => (/^\d/.test(await page.locator('[data-rule=UI_ALL] [data-testid=rule-rate]').innerText()) ? true : undefined));
    expect(await hitsOf('UI_NONE')).toBe(0);
    // The live text round-trips through GET /api/rules (a data route: the token is needed).
    await text.fill('');
    await page.locator('[data-testid=rules-load]').click();
    await until(async () => ((await text.inputValue()).includes('UI_ALL') ? true : undefined));
    await page.screenshot({ path: `${SCREENSHOT_DIR}/rules-panel.png`, fullPage: true });
    // The refused PUT is logged by chromium as a failed resource load (400); nothing else went wrong.
    expect(problems.pageErrors).toEqual([]);
    expect(problems.consoleErrors.filter((m) => !/status of 400/.test(m))).toEqual([]);
  });
});
