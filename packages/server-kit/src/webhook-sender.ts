import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';

/**
 * One POST of a webhook delivery over a fresh connection (no pooled sockets, so nothing outlives
 * the attempt). Resolves with the response status as soon as it arrives; rejects on a connection
 * error, on `timeoutMs` without a response, or when `signal` aborts. Redirects are not followed.
 */
export function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<number> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<number>((resolve, reject) => {
    const req = request(target, {
      method: 'POST',
      agent: false,
      signal,
      headers: {
        ...headers,
        'Content-Length': String(Buffer.byteLength(body, 'utf8')),
        'User-Agent': 'GuruConnect-Webhooks/1',
      },
    });
    const timer = setTimeout(() => {
      req.destroy(new ServerKitError(ServerKitErrorCode.Internal, `no response within ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('response', (res) => {
      resolve(res.statusCode ?? 0);
      // The answer's body is not used: it is read and dropped, and the connection closes (agent:
      // false) when it ends — or when the timer fires, for a receiver that never stops talking.
      res.resume();
      res.on('close', () => clearTimeout(timer));
      // After the status settled the promise this reject is a no-op; it keeps the error handled.
      res.on('error', reject);
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.on('close', () => clearTimeout(timer));
    req.end(body);
  });
}
