import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { defaultModelPath } from '@fraudstream/engine';
import { featureSet, sealBundle } from '@fraudstream/scorer';
import { startServer, type RunningServer } from '@fraudstream/server';
import { createSystem, type FraudSystem } from '@fraudstream/system';
import { until } from '../utils/poll.js';
import { DASHBOARD_DIST, launchBrowser, openPage, SCREENSHOT_DIR, tileNumber } from './browser.js';

// The check: a challenger's live quality appears beside the champion's. The built dashboard in Debian's
// chromium against the real server and system; the challenger is loaded through the panel's file input (PUT),
// scored in shadow, its quality shown beside the champion's, then promoted with the panel's button.

let browser: Browser;
let system: FraudSystem;
let server: RunningServer;

/** A stricter challenger: the default model (a bundle without one scores 0) with lower thresholds. */
const CHALLENGER = sealBundle(
  JSON.stringify({
    format: 'fraudstream-bundle/1',
    name: 'strict',
    featureSet,
    model: { format: 'xgboost-json', text: readFileSync(defaultModelPath(), 'utf8') },
    thresholds: { review: 0.05, decline: 0.6 },
    rules: '',
  }),
);

beforeAll(async () => {
  browser = await launchBrowser();
  system = await createSystem({ source: { kind: 'generator', tps: 20_000, seed: 11, customers: 300 }, workers: 2 });
  server = await startServer({ system, port: 0, staticDir: DASHBOARD_DIST });
  await system.start();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the challenger panel in chromium', () => {
  it("shows a challenger's live quality beside the champion's and promotes it with the button", async () => {
    const { page, problems } = await openPage(browser);
    await page.goto(`http://127.0.0.1:${server.port}`);
    await page.locator('[data-testid=connection]', { hasText: 'live' }).waitFor();
    await page.locator('[data-testid=challenger-none]').waitFor();
    await page.setInputFiles('[data-testid=challenger-file]', { name: 'strict.json', mimeType: 'application/json', buffer: Buffer.from(CHALLENGER) });
    const version = await page.locator('[data-testid=challenger-version]').innerText();
    expect(version).toMatch(/^strict@[0-9a-f]{12}$/);
    // Both sides are measured on the same labelled transactions once labels for shadowed transactions arrive.
    const labelled = await until(async () => {
      const n = await tileNumber(page, 'q-challenger-labelled');
      return n > 0 ? n : undefined;
    }, 60_000);
    expect(labelled).toBeGreaterThan(0);
    await until(async () => ((await tileNumber(page, 'q-challenger-labelled')) === (await tileNumber(page, 'q-champion-labelled')) ? true : undefined));
    for (const key of ['precision', 'recall', 'fpr', 'ap']) {
      expect(await page.locator(`[data-testid=q-champion-${key}]`).innerText()).not.toBe('');
      expect(await page.locator(`[data-testid=q-challenger-${key}]`).innerText()).not.toBe('');
    }
    // The panel shows what the server computed: the challenger's stricter thresholds raise more alerts than the champion's.
    const stats = system.stats().challenger!;
    expect(stats.counts.review + stats.counts.declined).toBeGreaterThan(stats.champion.review + stats.champion.declined);
    await page.screenshot({ path: join(SCREENSHOT_DIR, 'challenger.png'), fullPage: true });

    page.on('dialog', (dialog) => void dialog.accept());
    await page.click('[data-testid=challenger-promote]');
    await page.locator('[data-testid=challenger-none]').waitFor();
    expect(system.ruleStats().version).toBe(version);
    expect(system.stats().challenger).toBeNull();
    expect(problems).toEqual({ consoleErrors: [], pageErrors: [] });
    await page.close();
  }, 90_000);
});
