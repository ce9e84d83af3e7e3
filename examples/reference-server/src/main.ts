import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { startReferenceServer } from './reference-server.js';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`GuruConnect cannot start: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
const logger = createLogger({ level: config.logLevel });
const server = await startReferenceServer({ config, logger }).catch((err: unknown) => {
  logger.error('start failed', { err });
  process.stderr.write(`GuruConnect cannot start: ${(err as Error).message}\n`);
  process.exit(1);
});
process.stdout.write(`\nGuruConnect is running: open ${server.url} in your browser.\n\n`);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info('shutting down', { signal });
  const deadline = setTimeout(() => {
    logger.error('graceful shutdown timed out', { timeoutMs: config.shutdownTimeoutMs });
    process.exit(1);
  }, config.shutdownTimeoutMs);
  deadline.unref();
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error('shutdown failed', { err });
      process.exit(1);
    },
  );
};
process.once('SIGTERM', () => stop('SIGTERM'));
process.once('SIGINT', () => stop('SIGINT'));
