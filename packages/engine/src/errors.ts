/** Thrown for invalid engine options; the message names the option. */
export class EngineOptionsError extends RangeError {
  override name = 'EngineOptionsError';
}

/** Thrown when the engine is used after close(). */
export class EngineClosedError extends Error {
  override name = 'EngineClosedError';
  constructor() {
    super('the engine is closed');
  }
}
