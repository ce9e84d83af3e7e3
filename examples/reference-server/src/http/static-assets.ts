import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
};

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

/**
 * Built console and viewer files, read once at start-up into memory and served by exact path:
 * nothing on disk is reachable through a request path, so no traversal is possible.
 */
export class StaticAssets {
  private readonly assets = new Map<string, Asset>();

  constructor(root: string, urlPrefix: string) {
    for (const file of walk(root)) {
      const url = `${urlPrefix}/${relative(root, file).split(sep).join('/')}`;
      const body = readFileSync(file);
      this.assets.set(url, {
        body,
        type: TYPES[extname(file)] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      });
    }
  }

  has(path: string): boolean {
    return this.assets.has(path);
  }

  /** The bytes of an asset as text (templates such as the embed page). */
  text(path: string): string | undefined {
    return this.assets.get(path)?.body.toString('utf8');
  }

  paths(): string[] {
    return [...this.assets.keys()];
  }

  /** Serves `path` (HEAD and GET); false when there is no such asset. */
  serve(path: string, req: IncomingMessage, res: ServerResponse, cacheControl = 'no-cache'): boolean {
    const asset = this.assets.get(path);
    if (!asset) return false;
    res.setHeader('Content-Type', asset.type);
    res.setHeader('ETag', asset.etag);
    res.setHeader('Cache-Control', cacheControl);
    if (req.headers['if-none-match'] === asset.etag) {
      res.writeHead(304).end();
      return true;
    }
    res.setHeader('Content-Length', asset.body.length);
    res.writeHead(200);
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }
}

function walk(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (err) {
    throw new Error(`console assets not found in ${dir}: run \`npm run build\` first`, { cause: err });
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
