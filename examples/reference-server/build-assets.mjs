// Builds the browser side of the reference server into dist/public:
// the console (Lit) and the embed page, each one ES module bundle (shared code split out), plus their HTML and CSS.
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'dist', 'public');
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

await build({
  entryPoints: { console: join(here, 'console', 'main.ts'), embed: join(here, 'embed', 'main.ts') },
  outdir: join(out, 'assets'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  splitting: true,
  chunkNames: 'chunk-[hash]',
  sourcemap: true,
  // Bundle our packages from their TypeScript sources; no Node built-ins may sneak in.
  conditions: ['@guruconnect/source'],
  tsconfig: join(here, 'console', 'tsconfig.json'),
  logLevel: 'warning',
});
copyFileSync(join(here, 'console', 'index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'console', 'console.css'), join(out, 'assets', 'console.css'));
copyFileSync(join(here, 'embed', 'embed.html'), join(out, 'embed.html'));
copyFileSync(join(here, 'embed', 'embed.css'), join(out, 'assets', 'embed.css'));
console.log(`console assets built in ${out}`);
