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
