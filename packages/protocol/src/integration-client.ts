import type { Client, Interceptor } from '@connectrpc/connect';
import { createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { IntegrationService } from './gen/guruconnect/integration/v1/integration_pb.js';

export interface IntegrationClientOptions {
  /** Base URL of the GuruConnect server, e.g. `https://support.example.com`. Required. */
  baseUrl: string;
  /**
   * Integration key (`gik_…`) sent as `Authorization: Bearer`. Optional: without it only
   * `getCapabilities` succeeds. Keep it server-side; never ship it to a browser.
   */
  integrationKey?: string;
  /** Fetch implementation. Default: `globalThis.fetch` (browsers, Node ≥ 18). */
  fetch?: typeof globalThis.fetch;
  /** Use the binary protobuf format instead of JSON. Default false (JSON is easier to debug). */
  useBinaryFormat?: boolean;
  /** Per-call timeout in milliseconds. Default 30 000. */
  timeoutMs?: number;
}

export type IntegrationClient = Client<typeof IntegrationService>;

/**
 * A typed client for `guruconnect.integration.v1.IntegrationService`, over the Connect protocol
 * with `fetch`, so it runs unchanged in Node and in browsers. Errors are `ConnectError`s with
 * the server's `Code` and, in metadata `x-correlation-id`, the id to quote in a support ticket.
 */
export function createIntegrationClient(options: IntegrationClientOptions): IntegrationClient {
  const interceptors: Interceptor[] = [];
  const key = options.integrationKey;
  if (key !== undefined) {
    interceptors.push((next) => async (req) => {
      req.header.set('Authorization', `Bearer ${key}`);
      return next(req);
    });
  }
  const transport = createConnectTransport({
    baseUrl: options.baseUrl,
    useBinaryFormat: options.useBinaryFormat ?? false,
    interceptors,
    defaultTimeoutMs: options.timeoutMs ?? 30_000,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  return createClient(IntegrationService, transport);
}
