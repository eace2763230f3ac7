import { readFileSync, statSync } from 'node:fs';

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
 * live rules stay. Polls the file's size and modification time every `intervalMs` (a `statSync` on this thread),
 * which also follows editors that save by renaming a new file over the old one. Its own poll, not `fs.watchFile`:
 * that one compares each poll with its previous poll, whose first runs on the thread pool after the constructor
 * returns, so a save right after start became its baseline and was never reported (a flaky test showed it).
 */
export class RulesFileWatcher {
  readonly #status: RulesFileStatus;
  readonly #apply: (text: string) => void;
  /** Size and modification time of the version last loaded, taken synchronously at start. */
  #last: { mtimeMs: number; size: number };
  readonly #timer: NodeJS.Timeout;

  /** Starts watching `path` (already loaded once by the caller: `loads` starts at 1); polls every `intervalMs`. */
  constructor(path: string, apply: (text: string) => void, intervalMs = 200) {
    this.#status = { path, loads: 1 };
    this.#apply = apply;
    const st = statSync(path);
    this.#last = { mtimeMs: st.mtimeMs, size: st.size };
    this.#timer = setInterval(() => this.#poll(), intervalMs);
    this.#timer.unref();
  }

  #poll(): void {
    let now;
    try {
      now = statSync(this.#status.path);
    } catch {
      // Between an editor's unlink and rename: the next poll sees the new file.
      return;
    }
    if (now.mtimeMs === this.#last.mtimeMs && now.size === this.#last.size) return;
    this.#last = { mtimeMs: now.mtimeMs, size: now.size };
    this.reload();
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
    clearInterval(this.#timer);
  }
}
