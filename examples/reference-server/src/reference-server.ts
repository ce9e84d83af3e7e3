import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReferenceServerOptions {
  /** TCP port. Default 8080 (`GC_PORT`); 0 picks a free port. */
  port?: number;
  /** Address to bind. Default `127.0.0.1`… `0.0.0.0` when `GC_HOST` says so. */
  host?: string;
}

export interface ReferenceServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Placeholder until the reference-server issue lands: answers `/healthz` so that the README's
 * run command works end to end on a fresh machine.
 */
export async function startReferenceServer(options: ReferenceServerOptions = {}): Promise<ReferenceServer> {
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ status: 'ok' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'GC_ERR_NOT_FOUND', message: 'not found' }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve()))),
  };
}
