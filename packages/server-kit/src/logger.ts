/** A structured log record. Never put a secret in it: the kit passes every record through `redact`. */
export type LogRecord = Record<string, unknown> & { msg: string };

/** The logger server-kit writes to; pino, console or anything with these three methods fits. */
export interface Logger {
  info(record: LogRecord): void;
  warn(record: LogRecord): void;
  error(record: LogRecord): void;
}

/** The default: drops everything. */
export const noopLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
