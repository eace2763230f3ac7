import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultStaticDir, startServer, type FraudSystem, type RunningServer } from '../src/index.js';
import { rawGet } from './utils/raw-http.js';
import { createTestSystem } from './utils/real-system.js';

const OWN_STATIC = fileURLToPath(new URL('../static', import.meta.url));
const PACKAGE_JSON = fileURLToPath(new URL('../package.json', import.meta.url));

let system: FraudSystem;
let fallback: RunningServer;
let built: RunningServer;
let siteDir: string;

beforeAll(async () => {
  system = await createTestSystem();
  fallback = await startServer({ system, port: 0, staticDir: OWN_STATIC });

  // A stand-in for a dashboard build, with a symlink that points out of it.
  siteDir = await mkdtemp(join(tmpdir(), 'fraudstream-static-'));
  await mkdir(join(siteDir, 'assets'));
  await writeFile(join(siteDir, 'index.html'), '<!doctype html><title>built dashboard</title>');
  await writeFile(join(siteDir, 'assets', 'app-1a2b.js'), 'console.log("app")');
  await writeFile(join(siteDir, 'assets', 'app-1a2b.css'), 'body{}');
  await writeFile(join(siteDir, '.secret'), 'hidden');
  await symlink(PACKAGE_JSON, join(siteDir, 'leak.json'));
  // Both servers share the system; its close() is idempotent, so each server may close it.
  built = await startServer({ system, port: 0, staticDir: siteDir });
});

afterAll(async () => {
  await fallback?.close();
  await built?.close();
  await rm(siteDir, { recursive: true, force: true });
});

describe('static files', () => {
  it('defaults to the dashboard build or, without one, the own status page', () => {
    expect([OWN_STATIC, fileURLToPath(new URL('../../dashboard/dist', import.meta.url))]).toContain(defaultStaticDir());
  });

  it('serves the fallback status page at /', async () => {
    const response = await fetch(`http://127.0.0.1:${fallback.port}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await response.text();
    expect(html).toContain('<title>Fraudstream status</title>');
    expect(html).toContain('/ws');
    // Self-contained: no external scripts, styles or fonts.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves files with their content types and an SPA fallback for client routes', async () => {
    const base = `http://127.0.0.1:${built.port}`;
    const js = await fetch(`${base}/assets/app-1a2b.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/assets/app-1a2b.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');

    const route = await fetch(`${base}/alerts/recent`);
    expect(route.status).toBe(200);
    expect(await route.text()).toContain('built dashboard');

    const missingAsset = await fetch(`${base}/assets/gone.js`);
    expect(missingAsset.status).toBe(404);
    expect(missingAsset.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await fetch(`${base}/.secret`)).status).toBe(404);
  });

  it.each(['/../package.json', '/%2e%2e/package.json', '/assets/%2E%2E/%2e%2e/package.json', '/..%2fpackage.json'])(
    'refuses the traversal %s',
    async (path) => {
      const response = await rawGet(built.port, path);
      expect(response.status).toBe(403);
      expect(response.body).not.toContain('@fraudstream/server');
      expect(JSON.parse(response.body)).toMatchObject({ error: { code: 'forbidden_path' } });
    },
  );

  it('refuses a symlink that leads out of the static directory', async () => {
    const response = await rawGet(built.port, '/leak.json');
    expect(response.status).toBe(403);
    expect(response.body).not.toContain('@fraudstream/server');
  });

  it('refuses an invalid percent-encoding with 400', async () => {
    expect((await rawGet(built.port, '/%zz')).status).toBe(400);
  });
});
