import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * What the store keeps in `--data-dir`:
 * - `decisions/`     the decision log's segment files (`<20-digit position>.dlog`) and its LOCK
 * - `cases.sqlite`   the case store when no PostgreSQL URL is configured (plus SQLite's -wal and -shm)
 * - `card-ref.key`   the generated card-reference secret when none is configured (mode 0600)
 */
export const DECISIONS_DIR = 'decisions';

/** The decision log's directory inside a data dir. */
export function decisionLogDir(dataDir: string): string {
  return join(dataDir, DECISIONS_DIR);
}

/**
 * The default data dir of `fraudstream start` and `fraudstream decisions`: `$XDG_DATA_HOME/fraudstream`, or
 * `~/.local/share/fraudstream` when XDG_DATA_HOME is unset or not absolute (the XDG base directory rule).
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_DATA_HOME'];
  return xdg !== undefined && xdg.startsWith('/') ? join(xdg, 'fraudstream') : join(homedir(), '.local', 'share', 'fraudstream');
}
