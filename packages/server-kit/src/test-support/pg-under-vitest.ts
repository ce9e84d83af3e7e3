import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Workaround for the root vitest config: vitest hands `ssr.resolve.conditions` (which include
 * `import`) to its workers as `node --conditions …`, so inside a worker pg's CommonJS
 * `require('pg-pool')` resolves to pg-pool's ESM wrapper and `class extends Pool` fails with
 * "Class extends value [object Module] is not a constructor". We seed the require cache so that
 * path yields the CommonJS export. Production processes run without those flags and never need this.
 * Importing this module (test-databases.ts does) before the first `openDatabase({ databaseUrl })` is enough.
 */
const require = createRequire(import.meta.url);
const resolved = require.resolve('pg-pool');
if (resolved.endsWith('.mjs')) {
  const cjsPath = join(dirname(resolved), '..', 'index.js');
  require(cjsPath);
  const cached = require.cache[cjsPath];
  if (cached === undefined) throw new Error(`pg-pool CommonJS entry ${cjsPath} did not load`);
  require.cache[resolved] = cached;
}
