/** Stable machine-readable codes of the HTTP API's errors. */
export type HttpErrorCode =
  | 'bad_request'
  | 'malformed_json'
  | 'invalid_body'
  | 'missing_field'
  | 'invalid_type'
  | 'out_of_range'
  | 'invalid_format'
  | 'unknown_field'
  | 'unauthorized'
  | 'forbidden'
  | 'forbidden_path'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'service_unavailable'
  | 'upgrade_required'
  | 'internal_error';

/** The JSON body of every error response. */
export interface HttpErrorBody {
  error: { code: HttpErrorCode; message: string; field?: string };
}

/** Options of an `HttpError` beyond status, code and message. */
export interface HttpErrorOptions {
  /** The request field at fault, e.g. `tps`. */
  field?: string;
  /** Extra response headers, e.g. `Allow` for a 405 or `WWW-Authenticate` for a 401. */
  headers?: Record<string, string>;
  /** The underlying error, kept for logs and never serialized. */
  cause?: unknown;
}

/** The one error type of the HTTP API: its `toJSON` is the response body and never carries a stack or a cause. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly field: string | undefined;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: HttpErrorCode, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.field = options.field;
    this.headers = options.headers ?? {};
  }

  /** Turns anything thrown by a handler into an `HttpError`; unknown errors become a 500 with a generic message. */
  static from(error: unknown): HttpError {
    if (error instanceof HttpError) return error;
    return new HttpError(500, 'internal_error', 'internal server error', { cause: error });
  }

  /** The response body: code, message and field only; never the stack, the cause or the headers. */
  toJSON(): HttpErrorBody {
    const error: HttpErrorBody['error'] = { code: this.code, message: this.message };
    if (this.field !== undefined) error.field = this.field;
    return { error };
  }
}
