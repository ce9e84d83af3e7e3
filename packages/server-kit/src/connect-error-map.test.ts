import { Code, ConnectError } from '@connectrpc/connect';
import { describe, expect, it } from 'vitest';
import { toConnectError } from './connect-error-map.js';
import { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';

describe('toConnectError', () => {
  it('maps every server-kit code to a ConnectError code, with correlation id in the metadata', () => {
    const expected: Record<ServerKitErrorCode, Code> = {
      GC_ERR_NOT_FOUND: Code.NotFound,
      GC_ERR_PERMISSION_DENIED: Code.PermissionDenied,
      GC_ERR_UNAUTHENTICATED: Code.Unauthenticated,
      GC_ERR_TOTP_REQUIRED: Code.Unauthenticated,
      GC_ERR_RATE_LIMITED: Code.ResourceExhausted,
      GC_ERR_INVALID_ARGUMENT: Code.InvalidArgument,
      GC_ERR_FAILED_PRECONDITION: Code.FailedPrecondition,
      GC_ERR_ALREADY_EXISTS: Code.AlreadyExists,
      GC_ERR_DB_LOCKED: Code.Unavailable,
      GC_ERR_MIGRATION: Code.Internal,
      GC_ERR_INTERNAL: Code.Internal,
    };
    for (const code of Object.values(ServerKitErrorCode)) {
      const err = toConnectError(new ServerKitError(code, 'm', { correlationId: 'corr-1' }));
      expect(err.code, code).toBe(expected[code]);
      expect(err.metadata.get('x-correlation-id')).toBe('corr-1');
      expect(err.metadata.get('x-gc-error-code')).toBe(code);
    }
  });

  it('rate limits carry retry-after; internal errors hide their message', () => {
    const limited = toConnectError(
      new ServerKitError(ServerKitErrorCode.RateLimited, 'slow down', { retryAfterSeconds: 12.2 }),
    );
    expect(limited.metadata.get('retry-after')).toBe('13');
    const internal = toConnectError(new Error('password=hunter2 in a stack'));
    expect(internal.code).toBe(Code.Internal);
    expect(internal.rawMessage).not.toContain('hunter2');
    expect(internal.rawMessage).toContain(internal.metadata.get('x-correlation-id')!);
    const already = new ConnectError('x', Code.Aborted);
    expect(toConnectError(already)).toBe(already);
  });
});
