/** Bad input to a store call (an option, a row, a query, a case update); the message names the field. */
export class StoreInputError extends TypeError {
  override name = 'StoreInputError';
  constructor(
    /** The field at fault, e.g. `query.limit` or `update.status`. */
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A decision-log file that is not what the log wrote: bad magic, checksum mismatch, a broken chain of blocks. */
export class CorruptLogError extends Error {
  override name = 'CorruptLogError';
  constructor(
    /** The segment file at fault. */
    readonly file: string,
    /** Byte offset in that file where the damage starts. */
    readonly offset: number,
    message: string,
  ) {
    super(`${file} at byte ${offset}: ${message}`);
  }
}

/** A case update that lost a race: the case changed since the version the caller read. */
export class CaseConflictError extends Error {
  override name = 'CaseConflictError';
}

/** A case id that names no case. */
export class CaseNotFoundError extends Error {
  override name = 'CaseNotFoundError';
}
