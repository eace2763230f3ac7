import { readFileSync, statSync, unwatchFile, watchFile, type Stats as FileStats } from 'node:fs';

/** The largest rules file read, bytes (the scorer refuses texts above 4 MiB anyway). */
const MAX_RULES_FILE = 4 << 20;

/** What the watcher of a rules file has done. */
export interface RulesFileStatus {
  path: string;
  /** Texts read and made live (the first load at start included). */
  loads: number;
  /** Why the last change was not made live (the rule, line and column of the problem); absent after a good load. */
  error?: string;
}

/** Reads a rules file, refusing one too large to be a rules text. */
export function readRulesFile(path: string): string {
  const size = statSync(path).size;
  if (size > MAX_RULES_FILE) throw new RangeError(`rules file ${path} is ${size} bytes, more than ${MAX_RULES_FILE}`);
  return readFileSync(path, 'utf8');
}

/**
 * Watches a rules file and makes each saved version live through `apply` (the engine's `setRules`): between batches,
 * without stopping the stream. A version that does not compile is reported in {@link RulesFileWatcher.status} and the
 * live rules stay. Polls the file's size and modification time (`fs.watchFile`), which also follows editors that
 * save by renaming a new file over the old one.
 */
export class RulesFileWatcher {
  readonly #status: RulesFileStatus;
  readonly #apply: (text: string) => void;
  readonly #listener = (now: FileStats, before: FileStats): void => {
    if (now.mtimeMs === before.mtimeMs && now.size === before.size) return;
    this.reload();
  };

  /** Starts watching `path` (already loaded once by the caller: `loads` starts at 1); polls every `intervalMs`. */
  constructor(path: string, apply: (text: string) => void, intervalMs = 200) {
    this.#status = { path, loads: 1 };
    this.#apply = apply;
    watchFile(path, { interval: intervalMs, persistent: false }, this.#listener);
  }

  /** Reads the file now and makes it live; a problem is kept in the status, never thrown. */
  reload(): void {
    try {
      this.#apply(readRulesFile(this.#status.path));
      this.#status.loads++;
      delete this.#status.error;
    } catch (err) {
      this.#status.error = err instanceof Error ? err.message : String(err);
    }
  }

  /** A copy of the watcher's status. */
  status(): RulesFileStatus {
    return { ...this.#status };
  }

  /** Stops watching. */
  close(): void {
    unwatchFile(this.#status.path, this.#listener);
  }
}
