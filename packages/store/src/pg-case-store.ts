import pg from 'pg';
import {
  checkAlerts,
  checkAt,
  checkCaseId,
  checkCaseQuery,
  checkUpdate,
  type Case,
  type CaseAlert,
  type CaseEvent,
  type CasePage,
  type CaseQuery,
  type CaseStore,
  type CaseUpdate,
} from './case-types.js';
import { CaseConflictError, CaseNotFoundError, StoreInputError } from './errors.js';
import { ADDED_COLUMNS, addedValues, caseFromRow, caseOrderSql, eventFromRow, nextCursor } from './sqlite-case-store.js';

/** Options of {@link PgCaseStore.connect}. */
export interface PgCaseStoreOptions {
  /** `postgres://user:password@host:port/database` (or `postgresql://`). */
  url: string;
  /** Schema holding the tables (default `public`); created if missing. Tests use a fresh one each. */
  schema?: string;
  /** Most pooled connections (default 4). */
  maxConnections?: number;
}

/** A URL with its password replaced by `***`, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable URL)';
  }
}

/** The case store in PostgreSQL, same behaviour as {@link SqliteCaseStore} (the same test suite runs on both). */
export class PgCaseStore implements CaseStore {
  readonly kind = 'postgres' as const;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
  ) {}

  /** Connects, checks the server answers and creates the tables if missing; an unreachable server is an error. */
  static async connect(options: PgCaseStoreOptions): Promise<PgCaseStore> {
    const { url } = options;
    if (typeof url !== 'string' || !/^postgres(ql)?:\/\//.test(url)) {
      throw new StoreInputError('db', 'db must be a postgres:// or postgresql:// URL');
    }
    const schema = options.schema ?? 'public';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new StoreInputError('schema', 'schema must be a lower-case SQL identifier of 1 to 63 characters');
    const max = options.maxConnections ?? 4;
    if (!Number.isInteger(max) || max < 1 || max > 100) throw new StoreInputError('maxConnections', 'maxConnections must be an integer from 1 to 100');
    const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 5000 });
    // An idle client's error (server restart) must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const store = new PgCaseStore(pool, schema);
    try {
      await store.migrate();
    } catch (err) {
      await pool.end().catch(() => {});
      throw new Error(`cannot use PostgreSQL at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
    }
    return store;
  }

  private t(name: string): string {
    return `"${this.schema}".${name}`;
  }

  private async migrate(): Promise<void> {
    const s = `"${this.schema}"`;
    await this.pool.query(`
      CREATE SCHEMA IF NOT EXISTS ${s};
      CREATE TABLE IF NOT EXISTS ${s}.cases (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        transaction_id TEXT NOT NULL,
        card_ref TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('REVIEW', 'DECLINE')),
        score DOUBLE PRECISION,
        reasons TEXT NOT NULL,
        model_version TEXT NOT NULL,
        event_ms DOUBLE PRECISION NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'confirmed_fraud', 'legitimate')),
        opened_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL,
        note TEXT,
        version INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS cases_status ON ${s}.cases (status, seq);
      ${ADDED_COLUMNS.map(([name, , type]) => `ALTER TABLE ${s}.cases ADD COLUMN IF NOT EXISTS ${name} ${type};`).join('\n      ')}
      CREATE INDEX IF NOT EXISTS cases_status_score ON ${s}.cases (status, (COALESCE(score, -1)), seq);
      CREATE INDEX IF NOT EXISTS cases_card ON ${s}.cases (card_ref, seq);
      CREATE TABLE IF NOT EXISTS ${s}.case_events (
        case_id TEXT NOT NULL REFERENCES ${s}.cases (id),
        seq INTEGER NOT NULL,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        note TEXT,
        PRIMARY KEY (case_id, seq)
      );
      CREATE OR REPLACE FUNCTION ${s}.case_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the case audit trail is append-only'; END $$;
      DROP TRIGGER IF EXISTS case_events_append_only ON ${s}.case_events;
      CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON ${s}.case_events
        FOR EACH ROW EXECUTE FUNCTION ${s}.case_events_append_only();
    `);
  }

  async openCases(alerts: readonly CaseAlert[], at = Date.now()): Promise<number> {
    checkAlerts(alerts);
    checkAt(at);
    if (alerts.length === 0) return 0;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const inserted = await client.query<{ id: string }>(
        `INSERT INTO ${this.t('cases')} (id, transaction_id, card_ref, decision, score, reasons, model_version, event_ms, status, opened_at, updated_at, updated_by, note, version,
           detail, label_sealed, label_run, label_seq)
         SELECT a.id, a.tx, a.card, a.decision, a.score, a.reasons, a.model, a.event_ms, 'open', $9, $9, 'system', NULL, 1, a.detail, a.sealed, a.run, a.lseq
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::text[], $7::text[], $8::float8[], $10::text[], $11::text[], $12::text[], $13::int8[])
           WITH ORDINALITY AS a (id, tx, card, decision, score, reasons, model, event_ms, detail, sealed, run, lseq, ord)
         ORDER BY a.ord
         ON CONFLICT (id) DO NOTHING RETURNING id`,
        [
          alerts.map((a) => a.decisionId),
          alerts.map((a) => a.transactionId),
          alerts.map((a) => a.cardRef),
          alerts.map((a) => a.decision),
          alerts.map((a) => (Number.isNaN(a.score) ? null : a.score)),
          alerts.map((a) => JSON.stringify(a.reasons)),
          alerts.map((a) => a.modelVersion),
          alerts.map((a) => a.eventTimeMs),
          at,
          ...[0, 1, 2, 3].map((k) => alerts.map((a) => addedValues(a)[k] ?? null)),
        ],
      );
      const ids = inserted.rows.map((r) => r.id);
      if (ids.length > 0) {
        await client.query(
          `INSERT INTO ${this.t('case_events')} (case_id, seq, at, actor, from_status, to_status, note)
           SELECT id, 1, $2, 'system', NULL, 'open', NULL FROM unnest($1::text[]) AS id`,
          [ids, at],
        );
      }
      await client.query('COMMIT');
      return ids.length;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async get(id: string): Promise<Case | undefined> {
    checkCaseId(id);
    const r = await this.pool.query(`SELECT * FROM ${this.t('cases')} WHERE id = $1`, [id]);
    return r.rows[0] === undefined ? undefined : caseFromRow(r.rows[0]);
  }

  async list(query: CaseQuery = {}): Promise<CasePage> {
    const q = checkCaseQuery(query);
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.status !== undefined) {
      params.push(q.status);
      where.push(`status = $${params.length}`);
    }
    if (q.cardRef !== undefined) {
      params.push(q.cardRef);
      where.push(`card_ref = $${params.length}`);
    }
    const order = caseOrderSql(q);
    if (order.where !== undefined) {
      let k = 0;
      where.push(order.where.replace(/\?/g, () => `$${params.length + ++k}`));
      params.push(...order.params);
    }
    params.push(q.limit);
    const r = await this.pool.query(
      `SELECT * FROM ${this.t('cases')} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order.orderBy} LIMIT $${params.length}`,
      params,
    );
    return { cases: r.rows.map(caseFromRow), next: nextCursor(q, r.rows) };
  }

  async update(id: string, update: CaseUpdate, at = Date.now()): Promise<Case> {
    checkCaseId(id);
    const u = checkUpdate(update);
    checkAt(at);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // FOR UPDATE: a concurrent update of the same case waits, then sees the new version.
      const cur = await client.query(`SELECT * FROM ${this.t('cases')} WHERE id = $1 FOR UPDATE`, [id]);
      const row = cur.rows[0];
      if (row === undefined) throw new CaseNotFoundError(`no case with id ${id}`);
      const current = caseFromRow(row);
      if (u.expectedVersion !== undefined && u.expectedVersion !== current.version) {
        throw new CaseConflictError(`case ${id} is at version ${current.version}, not ${u.expectedVersion}: reload it and try again`);
      }
      if (u.expectedStatus !== undefined && u.expectedStatus !== current.status) {
        throw new CaseConflictError(`case ${id} is ${current.status} (by ${current.updatedBy}), not ${u.expectedStatus}: a verdict is final`);
      }
      const version = current.version + 1;
      const note = u.note === undefined ? current.note : u.note === '' ? null : u.note;
      const r = await client.query(
        `UPDATE ${this.t('cases')} SET status = $2, updated_at = $3, updated_by = $4, note = $5, version = $6 WHERE id = $1 RETURNING *`,
        [id, u.status, at, u.analyst, note, version],
      );
      await client.query(
        `INSERT INTO ${this.t('case_events')} (case_id, seq, at, actor, from_status, to_status, note) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [id, version, at, u.analyst, current.status, u.status, u.note ?? null],
      );
      await client.query('COMMIT');
      return caseFromRow(r.rows[0]);
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async history(id: string): Promise<CaseEvent[]> {
    checkCaseId(id);
    const r = await this.pool.query(`SELECT * FROM ${this.t('case_events')} WHERE case_id = $1 ORDER BY seq`, [id]);
    return r.rows.map(eventFromRow);
  }

  async sync(): Promise<void> {
    // Every PostgreSQL commit is durable (synchronous_commit on, the server's default): nothing to do.
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
