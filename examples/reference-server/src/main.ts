import { startReferenceServer } from './reference-server.js';

const port = Number(process.env.GC_PORT ?? 8080);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`GC_PORT must be a port number (0–65535), got ${JSON.stringify(process.env.GC_PORT)}`);
  process.exit(2);
}
const server = await startReferenceServer({ port, host: process.env.GC_HOST ?? '127.0.0.1' });
console.log(`GuruConnect reference server listening on ${server.url} (health: ${server.url}/healthz)`);
process.once('SIGTERM', () => {
  server.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('shutdown failed', err);
      process.exit(1);
    },
  );
});
