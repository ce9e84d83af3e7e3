import type { ServerResponse } from 'node:http';

export interface SecurityHeaderOptions {
  /** Origins allowed to frame this response; empty means `frame-ancestors 'none'`. Default []. */
  frameAncestors?: string[];
  /** Send HSTS (only when served over TLS). Default false. */
  hsts?: boolean;
}

/**
 * Headers on every response. The CSP allows only our own scripts, styles and sockets; framing
 * is refused everywhere except the embed page, which passes its allowlist.
 */
export function applySecurityHeaders(res: ServerResponse, options: SecurityHeaderOptions = {}): void {
  const ancestors = options.frameAncestors?.length ? options.frameAncestors.join(' ') : "'none'";
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      // The viewer's zstd decoder is WebAssembly compiled from bytes bundled in its script;
      // without 'wasm-unsafe-eval' it falls back to a far slower JavaScript decoder.
      "script-src 'self' 'wasm-unsafe-eval'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "connect-src 'self' ws: wss: blob:",
      "worker-src 'self' blob:",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      `frame-ancestors ${ancestors}`,
    ].join('; '),
  );
  if (!options.frameAncestors?.length) res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
  res.setHeader(
    'Permissions-Policy',
    'camera=(), microphone=(), geolocation=(), clipboard-read=(self), clipboard-write=(self)',
  );
  if (options.hsts) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
}
