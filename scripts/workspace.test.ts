// Workspace rules from DESIGN.md, checked on the source tree: each package's public names come
// only from its src/index.ts, and packages import only whom the design allows.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const packages = ['protocol', 'relay-core', 'agent-core', 'viewer-element', 'server-kit'];

/** Who may import whom (DESIGN.md, "Packages and who may import whom"). */
const allowed: Record<string, string[]> = {
  protocol: [],
  'relay-core': ['protocol'],
  'agent-core': ['protocol'],
  'viewer-element': ['protocol'],
  'server-kit': ['protocol', 'relay-core'],
  'reference-server': ['protocol', 'relay-core', 'server-kit', 'viewer-element', 'agent-core'],
  'rmm-embed': ['protocol', 'viewer-element'],
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const re = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  return [...text.matchAll(re)].map((m) => (m[1] ?? m[2]) as string);
}

describe('package exports', () => {
  it.each(packages)('@guruconnect/%s exposes only its index', (name) => {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
    expect(Object.keys(pkg.exports)).toEqual(['.']);
    const targets = Object.values(pkg.exports['.']) as string[];
    for (const target of targets) expect(target).toMatch(/^\.\/(src\/index\.ts|dist\/index\.(js|d\.ts))$/);
    // Published: the build, the README, and declared data files — never sources.
    expect(pkg.files).toEqual(expect.arrayContaining(['dist', 'README.md']));
    for (const f of pkg.files)
      expect(['dist', 'README.md', 'migrations', 'custom-elements.json']).toContain(f);
    expect(pkg.type).toBe('module');
    expect(pkg.name).toBe(`@guruconnect/${name}`);
  });

  it('refuses deep imports into any package', () => {
    const probe = packages
      .flatMap((p) => [
        `@guruconnect/${p}/dist/index.js`,
        `@guruconnect/${p}/src/index.ts`,
        `@guruconnect/${p}/package.json`,
      ])
      .map((s) => JSON.stringify(s))
      .join(',');
    const script = `const out={};for(const s of [${probe}]){try{import.meta.resolve(s);out[s]='resolved'}catch(e){out[s]=e.code}}console.log(JSON.stringify(out))`;
    const result = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }),
    );
    for (const [spec, outcome] of Object.entries(result)) {
      expect([spec, outcome]).toEqual([spec, 'ERR_PACKAGE_PATH_NOT_EXPORTED']);
    }
  });
});

describe('import rules', () => {
  const units = [
    ...packages.map((p) => ({ name: p, dir: join(root, 'packages', p, 'src') })),
    { name: 'reference-server', dir: join(root, 'examples', 'reference-server', 'src') },
    { name: 'rmm-embed', dir: join(root, 'examples', 'rmm-embed', 'src') },
  ];

  it.each(units.map((u) => [u.name, u.dir] as const))(
    '%s imports only what DESIGN.md allows',
    (name, dir) => {
      for (const file of sourceFiles(dir)) {
        for (const spec of specifiers(file)) {
          const ours = /^@guruconnect\/([^/]+)(\/.*)?$/.exec(spec);
          if (ours) {
            expect.soft(`${relative(root, file)} → ${spec}`).toSatisfy(() => ours[2] === undefined);
            const isTest = file.endsWith('.test.ts') || file.includes(`${sep}test-support${sep}`);
            // Shipped code follows the design's import rules. Tests are not shipped: they may drive
            // any workspace package through its public entry (an end-to-end test of the viewer runs
            // the real relay and agent), never through a deep import.
            const mayImport = isTest ? [...Object.keys(allowed), ...packages] : allowed[name];
            expect.soft(mayImport, `${relative(root, file)} imports ${spec}`).toContain(ours[1]);
          } else if (spec.startsWith('.')) {
            const target = resolve(file, '..', spec);
            expect
              .soft(
                target.startsWith(dir + sep),
                `${relative(root, file)} reaches outside its package: ${spec}`,
              )
              .toBe(true);
          }
        }
      }
    },
  );

  it.each(['protocol', 'viewer-element'])('%s never imports Node built-ins', (name) => {
    for (const file of sourceFiles(join(root, 'packages', name, 'src'))) {
      if (file.endsWith('.test.ts') || file.includes(`${sep}test-support${sep}`)) continue;
      for (const spec of specifiers(file)) {
        expect
          .soft(
            spec.startsWith('node:') || ['fs', 'path', 'net', 'http', 'crypto', 'os'].includes(spec),
            `${relative(root, file)} imports ${spec}`,
          )
          .toBe(false);
      }
    }
  });
});
