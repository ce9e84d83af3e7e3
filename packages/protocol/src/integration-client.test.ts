import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT_VERSION } from './contract-version.js';
import { createIntegrationClient } from './integration-client.js';

// A bare HTTP server speaking the Connect JSON protocol for one method, so the test proves the
// wire format and headers the client sends without depending on the server packages.
const seen: { path?: string; auth?: string | undefined; contentType?: string | undefined } = {};
const server = createServer((req, res) => {
  seen.path = req.url;
  seen.auth = req.headers.authorization;
  seen.contentType = req.headers['content-type'];
  if (req.url === '/guruconnect.integration.v1.IntegrationService/GetCapabilities') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ contractVersion: CONTRACT_VERSION, features: ['embedded-viewer'] }));
    return;
  }
  res.writeHead(401, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code: 'unauthenticated', message: 'integration key required' }));
});
let baseUrl = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('createIntegrationClient', () => {
  it('calls the fixed method path with the bearer key and decodes the answer', async () => {
    const client = createIntegrationClient({ baseUrl, integrationKey: 'gik_test' });
    const caps = await client.getCapabilities({});
    expect(caps.contractVersion).toBe(CONTRACT_VERSION);
    expect(caps.features).toEqual(['embedded-viewer']);
    expect(seen.path).toBe('/guruconnect.integration.v1.IntegrationService/GetCapabilities');
    expect(seen.auth).toBe('Bearer gik_test');
    expect(seen.contentType).toBe('application/json');
  });

  it('surfaces server errors as ConnectError with the code', async () => {
    const client = createIntegrationClient({ baseUrl });
    await expect(client.getSession({ sessionId: 'x' })).rejects.toMatchObject({
      name: 'ConnectError',
      code: 16,
    });
    expect(seen.auth).toBeUndefined();
  });
});
