import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createRemoteControl } from './remote-control.js';

export interface RmmExampleOptions {
  /** GuruConnect server base URL. */
  gcUrl: string;
  /** The RMM's integration key (`gik_…`); stays on this server. */
  integrationKey: string;
  /** The device the page shows. Default `demo-device`. */
  deviceId?: string;
  /** Port; default 0 (any free one). */
  port?: number;
}

export interface RmmExample {
  readonly url: string;
  /** The device's agent key (install the agent with it). */
  readonly agentKey: string;
  close(): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));

/** A tiny RMM: provisions its device, then serves a page whose button opens a session. */
export async function startRmmExample(options: RmmExampleOptions): Promise<RmmExample> {
  const deviceId = options.deviceId ?? 'demo-device';
  const gc = createRemoteControl(options.gcUrl, options.integrationKey);
  const agentKey = await gc.provision(deviceId, 'Demo device');
  const bundle = await build({
    entryPoints: [join(here, '..', 'page', 'rmm-page.ts')],
    bundle: true,
    format: 'esm',
    write: false,
    conditions: ['@guruconnect/source'],
    tsconfig: join(here, '..', 'page', 'tsconfig.json'),
    logLevel: 'warning',
  });
  const script = bundle.outputFiles[0]?.text ?? '';
  const config = JSON.stringify({ gcUrl: new URL(options.gcUrl).origin, deviceId }).replace(/</g, '\\u003c');
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/api/remote-control')) {
      gc.open(deviceId, 'RMM technician').then(
        (rc) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(rc));
        },
        (err: unknown) => {
          res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: String((err as Error).message) }));
        },
      );
      return;
    }
    if (req.url === '/rmm-page.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      res.end(script);
      return;
    }
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html><head><title>Example RMM</title>
<style>gc-viewer, iframe { display:block; width: 640px; height: 480px; border: 1px solid #999; margin: 8px 0; }</style>
<script type="application/json" id="rmm-config">${config}</script>
<script type="module" src="/rmm-page.js"></script></head>
<body><h1>Demo device</h1><button id="remote-control">Remote Control</button> <span id="status"></span>
<h2>&lt;gc-viewer&gt; on this page</h2><div id="direct-slot"></div>
<h2>GuruConnect embed page</h2><div id="embed-slot"></div></body></html>`);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    agentKey,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
