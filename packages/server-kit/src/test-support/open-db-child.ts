// Child process for the cross-process lock test: opens a PGlite data directory, says "ready",
// and holds it until stdin closes (or it is killed).
import { openDatabase } from '../db/open-database.js';

const dataDir = process.argv[2];
if (dataDir === undefined) throw new Error('usage: open-db-child <dataDir>');
try {
  const database = await openDatabase({ dataDir, migrate: false });
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    void database.close().then(() => process.exit(0));
  });
} catch (err) {
  process.stdout.write(`error ${(err as { code?: string }).code ?? (err as Error).message}\n`);
  process.exit(3);
}
