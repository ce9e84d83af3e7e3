import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DescService } from '@bufbuild/protobuf';
import type { Client } from '@connectrpc/connect';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import type { ReferenceServer } from '../reference-server.js';
import { startReferenceServer } from '../reference-server.js';

export interface TestServer {
  server: ReferenceServer;
  /** The one-time admin password the server announced (undefined when one was configured). */
  adminPassword: string;
  dataDir: string;
  logs: string[];
  client<S extends DescService>(service: S, token?: string): Client<S>;
  stop(): Promise<void>;
}

export const ADMIN_EMAIL = 'admin@example.com';

/**
 * A real reference server on 127.0.0.1:0 with its own data directory: PGlite by default, or the
 * PostgreSQL database in `DATABASE_URL`. `assetsDir` defaults to the real HTML pages with stand-in
 * script bundles, so tests that only need the APIs do not depend on a browser build.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: {
    assetsDir?: string;
    relayOverrides?: { helloTimeoutMs?: number };
    keepAdminFrom?: TestServer;
  } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gc-server-'));
  let assetsDir = options.assetsDir;
  if (!assetsDir) {
    assetsDir = join(dataDir, 'public');
    mkdirSync(join(assetsDir, 'assets'), { recursive: true });
    // The real HTML templates; the script bundles are stand-ins (API tests need no browser build).
    copyFileSync(new URL('../../console/index.html', import.meta.url), join(assetsDir, 'index.html'));
    copyFileSync(new URL('../../embed/embed.html', import.meta.url), join(assetsDir, 'embed.html'));
    writeFileSync(join(assetsDir, 'assets', 'console.js'), 'export {};');
  }
  const logs: string[] = [];
  let adminPassword = options.keepAdminFrom?.adminPassword ?? '';
  const config = loadConfig({
    GC_PORT: '0',
    GC_DATA_DIR: dataDir,
    GC_ADMIN_EMAIL: ADMIN_EMAIL,
    GC_LOG_LEVEL: 'debug',
    ...env,
  });
  const server = await startReferenceServer({
    config,
    assetsDir,
    logger: createLogger({ level: 'debug', write: (l) => logs.push(l) }),
    announce: (line) => {
      logs.push(line);
      adminPassword = /one-time password: (\S+)/.exec(line)?.[1] ?? adminPassword;
    },
    relayOverrides: options.relayOverrides,
  });
  return {
    server,
    adminPassword,
    dataDir,
    logs,
    client: (service, token) =>
      createClient(
        service,
        createConnectTransport({
          baseUrl: server.url,
          interceptors: token
            ? [
                (next) => (req) => {
                  req.header.set('Authorization', `Bearer ${token}`);
                  return next(req);
                },
              ]
            : [],
        }),
      ),
    async stop() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
