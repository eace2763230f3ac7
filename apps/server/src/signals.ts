/** What `installSignalHandlers` needs: something that closes once. */
export interface Closable {
  close(): Promise<void>;
}

/** Options of `installSignalHandlers`; the defaults act on the real process. */
export interface SignalHandlerOptions {
  /** Called with the exit code; default `process.exit`. */
  exit?: (code: number) => void;
  /** Where the shutdown is reported; default `console.error`. */
  log?: (line: string) => void;
}

/**
 * On SIGINT or SIGTERM, closes the server (which drains in-flight transactions) once and exits 0, or 1 if closing
 * failed. A second signal while closing exits at once with 128 + the signal number, for an operator who will not
 * wait. Returns a function that removes the handlers.
 */
export function installSignalHandlers(server: Closable, options: SignalHandlerOptions = {}): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = options.log ?? ((line: string) => console.error(line));
  let closing = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (closing) {
      log(`fraudstream: ${signal} again, exiting without waiting`);
      exit(signal === 'SIGINT' ? 130 : 143);
      return;
    }
    closing = true;
    log(`fraudstream: ${signal}, draining in-flight transactions and shutting down`);
    server.close().then(
      () => exit(0),
      (error: unknown) => {
        log(`fraudstream: shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
        exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
}
