import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const SYSTEM = import.meta.resolve('@fraudstream/system');

// A real process: the built server with the real system, as the CLI runs it (the test task builds first).
const CHILD = `
import { startServer, installSignalHandlers } from ${JSON.stringify(DIST)};
import { createSystem } from ${JSON.stringify(SYSTEM)};
const system = await createSystem({ source: { kind: 'generator', tps: 5000, seed: 1 }, workers: 2, autoStart: true });
const server = await startServer({ system, port: 0 });
installSignalHandlers(server);
console.log('PORT ' + server.port);
`;

describe('installSignalHandlers (built dist)', () => {
  it('drains and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /PORT (\d+)/.exec(stdout);
        if (match?.[1] !== undefined) resolve(Number(match[1]));
      });
      child.on('exit', (code) => reject(new Error(`child exited early (${code}): ${stderr}`)));
    });
    const stats = (await (await fetch(`http://127.0.0.1:${port}/api/stats`)).json()) as { running: boolean };
    expect(stats.running).toBe(true);

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM, draining in-flight transactions');
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  });
});
