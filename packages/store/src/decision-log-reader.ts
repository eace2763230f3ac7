import { existsSync } from 'node:fs';
import { DecisionLog } from './decision-log.js';
import { parseQuery, type DecisionPage, type DecisionQuery } from './query.js';

/**
 * Queries a decision log that another part of the process (or another process) writes: a read-only
 * {@link DecisionLog} opened on first use, refreshed before each query (whole flushed blocks only), and opened
 * again when the writer truncated the log to a checkpoint. Before the log directory exists a query returns an
 * empty page.
 */
export class DecisionLogReader {
  private log: DecisionLog | undefined;

  constructor(readonly dir: string) {}

  /** A page of decisions, newest first (the log's `query`, over everything flushed so far). */
  query(query: DecisionQuery = {}): DecisionPage {
    const log = this.current();
    if (log === undefined) {
      // Validate the query all the same: a bad one is an error whether or not the log exists yet.
      parseQuery(query, 0);
      return { rows: [], next: null };
    }
    return log.query(query);
  }

  /** Decisions visible to queries (flushed). */
  records(): number {
    return this.current()?.records() ?? 0;
  }

  /** Closes the read-only log; a later query opens it again. */
  close(): void {
    this.log?.close();
    this.log = undefined;
  }

  private current(): DecisionLog | undefined {
    if (this.log !== undefined && !this.log.refresh()) this.close();
    if (this.log === undefined) {
      if (!existsSync(this.dir)) return undefined;
      this.log = DecisionLog.open(this.dir, { readOnly: true });
    }
    return this.log;
  }
}
