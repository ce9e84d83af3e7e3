// One browser bundle for the benchmarks' pages: an ES module entry with its imports (the built
// packages, as an integrator bundles them), minified, in memory.
import { build } from 'esbuild';

/** The bundled JavaScript of `entry` (an absolute path). */
export async function bundleForBrowser(entry) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    logLevel: 'warning',
  });
  return result.outputFiles[0].text;
}
