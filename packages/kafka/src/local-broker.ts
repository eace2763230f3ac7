import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository's broker script (`scripts/kafka.sh`), from this package's location in the repository. */
export const KAFKA_SCRIPT = fileURLToPath(new URL('../../../scripts/kafka.sh', import.meta.url));

/** True when something accepts TCP connections on 127.0.0.1:`port` (within `timeoutMs`). */
export function portAccepts(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Makes sure the repository's development broker runs on 127.0.0.1:`port` (env `KAFKA_PORT`, default 9092):
 * when nothing accepts there, runs `scripts/kafka.sh start` (which resolves the jars, formats the storage and waits
 * for the default topics). Throws with the script's output when it cannot start; never falls back to anything
 * else. Returns the bootstrap address. For tests, benchmarks and local runs, not production.
 */
export async function ensureLocalBroker(port = Number(process.env['KAFKA_PORT'] ?? 9092)): Promise<string> {
  const address = `127.0.0.1:${port}`;
  if (await portAccepts(port)) return address;
  const r = spawnSync(KAFKA_SCRIPT, ['start'], {
    encoding: 'utf8',
    env: { ...process.env, KAFKA_PORT: String(port) },
    timeout: 300_000,
  });
  if (r.status !== 0 || !(await portAccepts(port))) {
    throw new Error(`scripts/kafka.sh start failed (exit ${r.status ?? r.signal}): ${(r.stderr ?? '').slice(-2000)}`);
  }
  return address;
}
