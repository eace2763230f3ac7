import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { featureNames, ruleNames } from '@fraudstream/scorer';
import { startServer, type RunningServer, type Stats } from '@fraudstream/server';
import { createSystem, type FraudSystem } from '@fraudstream/system';
import { until } from '../utils/poll.js';
import { DASHBOARD_DIST, launchBrowser, openPage, SCREENSHOT_DIR, tileNumber } from './browser.js';

// The built dashboard in Debian's chromium against the real server and the real system (addon, worker threads,
// generator) on a free loopback port.

let browser: Browser;
let system: FraudSystem;
let server: RunningServer;
let base: string;

const newSystem = (): Promise<FraudSystem> =>
  createSystem({ source: { kind: 'generator', tps: 2_000, seed: 5 }, workers: 2 });
const serve = (port: number): Promise<RunningServer> => startServer({ system, port, staticDir: DASHBOARD_DIST });
const getStats = async (): Promise<Stats> => (await (await fetch(`${base}/api/stats`)).json()) as Stats;
const shot = (name: string): string => join(SCREENSHOT_DIR, `${name}.png`);

beforeAll(async () => {
  browser = await launchBrowser();
  system = await newSystem();
  server = await serve(0);
  base = `http://127.0.0.1:${server.port}`;
  await system.start();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the dashboard in chromium', () => {
  it('loads with no console or page errors, connects, and its numbers and charts move', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(base);
    await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor();
    const first = await until(async () => {
      const n = await tileNumber(page, 'tile-decided');
      return n > 0 ? n : undefined;
    });
    const later = await until(async () => {
      const n = await tileNumber(page, 'tile-decided');
      return n > first ? n : undefined;
    });
    expect(later).toBeGreaterThan(first);
    // Scored and fallback decisions are shown apart; with a healthy scorer nothing fell back and the counts agree.
    expect(await tileNumber(page, 'tile-fallback')).toBe(0);
    expect(await page.locator('[data-testid=tile-fallback-sub]').innerText()).toContain('counts agree');
    await until(async () => ((await tileNumber(page, 'tile-ingest')) > 0 ? true : undefined));
    // Three uPlot charts and the score histogram are canvases; the feed fills with masked card references.
    expect(await page.locator('.uplot canvas').count()).toBe(3);
    await page.locator('[data-testid=feed-row]').first().waitFor();
    const card = await page.locator('[data-testid=feed-row] td').nth(1).innerText();
    expect(card).toMatch(/^…[0-9a-f]{6}$/);
    await page.waitForTimeout(2_000);
    await page.screenshot({ path: shot('dashboard'), fullPage: true });
    expect(problems).toEqual({ consoleErrors: [], pageErrors: [] });
    await page.close();
  });

  it('with a token: opened as /#token=..., it keeps the token out of the address bar, goes live and its buttons work', async () => {
    const token = 'browser-test-token-7f3a';
    // Its own system: closing a server closes the system it serves.
    const own = await newSystem();
    await own.start();
    const guarded = await startServer({ system: own, port: 0, staticDir: DASHBOARD_DIST, token });
    const { page, problems } = await openPage(browser);
    try {
      await page.goto(`http://127.0.0.1:${guarded.port}/#token=${token}`);
      // The WebSocket offers the token as its subprotocol; without it the guarded server refuses the upgrade.
      await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor();
      expect(page.url()).not.toContain(token);
      // A POST from the page carries the bearer token (the guarded server answers 401 without it).
      await page.click('[data-testid=stop]');
      await until(async () => (own.stats().running ? undefined : true));
      await page.click('[data-testid=start]');
      await until(async () => (own.stats().running ? true : undefined));
      expect(problems).toEqual({ consoleErrors: [], pageErrors: [] });
    } finally {
      await page.close();
      await guarded.close();
    }
  });

  it('stops and starts the system and sets the generation rate, as GET /api/stats confirms', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(base);
    await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor();
    await page.locator('[data-testid=running]', { hasText: 'running' }).waitFor();

    await page.click('[data-testid=stop]');
    await until(async () => ((await getStats()).running ? undefined : true));
    await page.locator('[data-testid=running]', { hasText: 'stopped' }).waitFor();
    await page.click('[data-testid=start]');
    await until(async () => ((await getStats()).running ? true : undefined));

    // The typed value.
    await page.fill('[data-testid=tps-input]', '12345');
    await page.press('[data-testid=tps-input]', 'Enter');
    await until(async () => ((await getStats()).source.targetTps === 12_345 ? true : undefined));
    await page.locator('[data-testid=tps-input]').blur();

    // The log-scale slider: position 600 of 1000 between 10 and 2,000,000 tx/s.
    await page.locator('[data-testid=tps-slider]').fill('600');
    const targetTps = await until(async () => {
      const t = (await getStats()).source.targetTps;
      return t !== 12_345 ? t : undefined;
    });
    expect(targetTps).toBeGreaterThan(10_000);
    expect(targetTps).toBeLessThan(20_000);
    await until(async () => ((await page.inputValue('[data-testid=tps-input]')) === String(targetTps) ? true : undefined));

    await page.fill('[data-testid=tps-input]', '2000');
    await page.press('[data-testid=tps-input]', 'Enter');
    await until(async () => ((await getStats()).source.targetTps === 2_000 ? true : undefined));
    expect(problems).toEqual({ consoleErrors: [], pageErrors: [] });
    await page.close();
  });

  it('shows the alerts of an injected compromised-terminal attack', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(base);
    await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor();
    await page.locator('[data-testid=running]', { hasText: 'running' }).waitFor();
    const injectedBefore = (await getStats()).source.injected ?? 0;
    await page.click('[data-testid=scenario-compromised-terminal]');
    await page.locator('[data-testid=message]', { hasText: 'compromised-terminal: 30 transactions injected' }).waitFor();
    await until(async () => ((await getStats()).source.injected === injectedBefore + 30 ? true : undefined));
    // Attack charges are 6,000 to 10,000 EUR, each over the HIGH_AMOUNT rule: rows with that reason appear.
    const attackRows = page.locator('[data-testid=alert-row]', { hasText: 'HIGH_AMOUNT' });
    await attackRows.first().waitFor();
    const amount = Number(await attackRows.first().locator('td').nth(3).innerText());
    expect(amount).toBeGreaterThanOrEqual(6_000);
    // The top-reasons chart counts the reasons of the alerts held by the page: every bar names a rule or a feature
    // (which ones lead depends on the background traffic's alerts, so no particular name is asserted).
    const known = new Set([...featureNames, ...ruleNames]);
    const reasonNames = await page.locator('[data-testid=top-reasons] .rname').allInnerTexts();
    expect(reasonNames.length).toBeGreaterThan(0);
    for (const name of reasonNames) expect(known.has(name), name).toBe(true);
    // The decision filter keeps only the chosen decision (the one of the newest alert, so the list is not empty).
    const chosen = (await page.locator('[data-testid=alert-row] .badge').first().innerText()) as 'REVIEW' | 'DECLINE';
    await page.click(`[data-testid=filter-${chosen}]`);
    const decisions = await page.locator('[data-testid=alert-row] .badge').allInnerTexts();
    expect(decisions.length).toBeGreaterThan(0);
    expect(new Set(decisions)).toEqual(new Set([chosen]));
    await page.click('[data-testid=filter-ALL]');
    await page.locator('[data-testid=alerts]').screenshot({ path: shot('alerts') });
    expect(problems).toEqual({ consoleErrors: [], pageErrors: [] });
    await page.close();
  });

  it('previews a threshold before applying it, then applies it to the engine', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(base);
    await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor();
    // Labels arrive 7 simulated days late: run faster until thousands of decisions are labelled.
    await fetch(`${base}/api/generator`, { method: 'POST', body: '{"tps":50000}' });
    await until(async () => ((await getStats()).quality.labelled > 20_000 ? true : undefined), 90_000, 500);
    await until(async () => ((await tileNumber(page, 'labelled')) > 20_000 ? true : undefined));
    await fetch(`${base}/api/generator`, { method: 'POST', body: '{"tps":2000}' });

    expect(await page.innerText('[data-testid=cand-review]')).toBe('0.50');
    const alertsAtApplied = await tileNumber(page, 'preview-alerts');
    await page.locator('[data-testid=review-slider]').fill('0.1');
    expect(await page.innerText('[data-testid=cand-review]')).toBe('0.10');
    // A lower threshold turns more labelled transactions into alerts: recall cannot fall, the alert count grows.
    const alertsAtCandidate = await tileNumber(page, 'preview-alerts');
    expect(alertsAtCandidate).toBeGreaterThan(alertsAtApplied);
    // Nothing is applied until the button is pressed.
    expect((await getStats()).thresholds).toEqual({ review: 0.5, decline: 0.9 });
    await expect(page.locator('[data-testid=preview-row]').getAttribute('class')).resolves.toBe('candidate');
    await page.waitForTimeout(1_000);
    await page.screenshot({ path: shot('dashboard-labelled'), fullPage: true });
    await page.locator('[data-testid=model-panel]').screenshot({ path: shot('model-panel') });
    await page.click('[data-testid=apply-thresholds]');
    await until(async () => ((await getStats()).thresholds?.review === 0.1 ? true : undefined));
    expect((await getStats()).thresholds).toEqual({ review: 0.1, decline: 0.9 });
    await page.locator('[data-testid=review-slider]').fill('0.5');
    await page.click('[data-testid=apply-thresholds]');
    await until(async () => ((await getStats()).thresholds?.review === 0.5 ? true : undefined));
    expect(problems).toEqual({ consoleErrors: [], pageErrors: [] });
    await page.close();
  }, 150_000);

  it('reconnects by itself after the server restarts on the same port, and its numbers move again', async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(base);
    const connection = page.locator('[data-testid=connection]');
    await connection.filter({ hasText: 'live' }).waitFor();
    const port = server.port;

    await server.close();
    await connection.filter({ hasText: 'reconnecting' }).waitFor();
    await page.screenshot({ path: shot('reconnecting') });

    system = await newSystem();
    // The closed server's side of each connection it closed sits in TIME_WAIT for 60 s on Linux, and uWebSockets.js
    // binds without SO_REUSEADDR, so the port frees only then: retry the bind, as an operator restarting would.
    server = await until(() => serve(port).catch(() => undefined), 100_000, 500);
    await system.start();
    await connection.filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: shot('reconnected') });
    // The new system counts from zero: the tile follows it and moves again.
    const first = await until(async () => {
      const n = await tileNumber(page, 'tile-decided');
      const s = await getStats();
      return n > 0 && n <= s.counts.scored ? n : undefined;
    });
    const later = await until(async () => {
      const n = await tileNumber(page, 'tile-decided');
      return n > first ? n : undefined;
    });
    expect(later).toBeGreaterThan(first);
    // While the server was down the browser logged failed WebSocket attempts; nothing else, and no page error.
    expect(problems.pageErrors).toEqual([]);
    expect(problems.consoleErrors.filter((e) => !e.includes('WebSocket'))).toEqual([]);
    await page.close();
  }, 180_000);
});
