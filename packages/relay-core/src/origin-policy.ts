import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RelayEvent } from './hooks.js';
import type { PeerRole } from './peer.js';
import type { AllowedOrigins, ResolvedRelayOptions } from './relay-options.js';

/** Which endpoint a request path is, or undefined when it is not one of the relay's. */
export function upgradeRole(path: string, options: ResolvedRelayOptions): PeerRole | undefined {
  if (path === options.agentPath) return 'agent';
  if (path === options.viewerPath) return 'viewer';
  return undefined;
}

/** The violation event for an upgrade refused for its Origin (no socket exists, so a fresh correlation id). */
export function forbiddenOriginEvent(role: PeerRole, request: IncomingMessage): RelayEvent {
  return {
    type: 'violation',
    role,
    code: 'forbidden_origin',
    detail: `origin ${request.headers.origin ?? '(none)'} is not allowed`,
    remoteAddress: request.socket.remoteAddress ?? '',
    correlationId: randomUUID(),
    at: new Date(),
  };
}

/**
 * Whether an upgrade's Origin is acceptable. A viewer (a browser page) must send an allowed
 * Origin; an agent may send none, but one it sends must be allowed. A predicate decides
 * everything itself, including a missing Origin on a viewer upgrade.
 */
export function isOriginAllowed(
  allowed: AllowedOrigins | undefined,
  role: 'agent' | 'viewer',
  origin: string | undefined,
  request: IncomingMessage,
): boolean {
  if (origin === undefined && role === 'agent') return true;
  if (typeof allowed === 'function') return allowed(origin, request);
  if (origin === undefined) return false;
  if (allowed !== undefined) return allowed.includes(origin);
  return isSameOrigin(origin, request.headers.host);
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin === 'null') return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false; // an Origin that is not a URL is never the same origin
  }
}

/** Answers an upgrade with a plain HTTP error and destroys the socket: no WebSocket is opened. */
export function refuseUpgrade(socket: Duplex, status: 403 | 503, text: string): void {
  const body = `${text}\n`;
  const head =
    `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Service Unavailable'}\r\n` +
    'Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  // As ws does it: destroy once the answer is flushed, so the client reads the status.
  socket.once('finish', () => socket.destroy());
  socket.end(head + body);
}
