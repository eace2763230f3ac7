import { PgCaseStore } from './pg-case-store.js';
import { SqliteCaseStore } from './sqlite-case-store.js';
import type { CaseStore } from './case-types.js';
import { StoreInputError } from './errors.js';

/** Where the case store lives: SQLite in the data dir unless a PostgreSQL URL is given (`--db postgres://...`). */
export interface CaseStoreConfig {
  dataDir: string;
  db?: string | undefined;
  /** PostgreSQL schema (default public). */
  schema?: string | undefined;
}

/**
 * Opens the configured case store: `DATA_DIR/cases.sqlite`, or PostgreSQL when `db` is a postgres:// URL (its
 * `schema` query parameter, if any, names the schema; default public).
 */
export async function openCaseStore(config: CaseStoreConfig): Promise<CaseStore> {
  if (config.db !== undefined) {
    if (typeof config.db !== 'string' || !/^postgres(ql)?:\/\//.test(config.db)) {
      throw new StoreInputError('db', 'db must be a postgres:// or postgresql:// URL');
    }
    // A `schema` query parameter (`postgres://.../db?schema=fraud`) picks the schema; it is ours, not the driver's.
    let url = config.db;
    let schema = config.schema;
    const q = url.indexOf('?');
    if (q >= 0) {
      const params = new URLSearchParams(url.slice(q + 1));
      const fromUrl = params.get('schema');
      if (fromUrl !== null) {
        params.delete('schema');
        schema ??= fromUrl;
        const rest = params.toString();
        url = url.slice(0, q) + (rest === '' ? '' : `?${rest}`);
      }
    }
    return PgCaseStore.connect({ url, ...(schema === undefined ? {} : { schema }) });
  }
  if (typeof config.dataDir !== 'string' || config.dataDir === '') throw new StoreInputError('dataDir', 'dataDir must be a non-empty path');
  return SqliteCaseStore.inDataDir(config.dataDir);
}
