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

/** Opens the configured case store: `DATA_DIR/cases.sqlite`, or PostgreSQL when `db` is a postgres:// URL. */
export async function openCaseStore(config: CaseStoreConfig): Promise<CaseStore> {
  if (config.db !== undefined) {
    if (typeof config.db !== 'string' || !/^postgres(ql)?:\/\//.test(config.db)) {
      throw new StoreInputError('db', 'db must be a postgres:// or postgresql:// URL');
    }
    return PgCaseStore.connect({ url: config.db, ...(config.schema === undefined ? {} : { schema: config.schema }) });
  }
  if (typeof config.dataDir !== 'string' || config.dataDir === '') throw new StoreInputError('dataDir', 'dataDir must be a non-empty path');
  return SqliteCaseStore.inDataDir(config.dataDir);
}
