import { createRequire } from 'node:module';
import { compress as compressDefaultLevel } from '@mongodb-js/zstd';
import { loadLibZstd } from './libzstd.js';

type NativeZstd = { compress(data: Buffer, level?: number): Promise<Buffer> };

/**
 * @mongodb-js/zstd 1.2.2's JS wrapper drops the `level` argument (it always compresses at the
 * library default, level 3); its native binding takes it. Level 1 costs about half of level 3 on
 * desktop pixels for ~1 % more bytes, so we call the binding directly, and fall back to the
 * wrapper (default level) if a future version moves it.
 */
const native: NativeZstd | undefined = loadNative();

function loadNative(): NativeZstd | undefined {
  try {
    const binding = createRequire(import.meta.url)('@mongodb-js/zstd/bindings.js') as Partial<NativeZstd>;
    return typeof binding.compress === 'function' ? (binding as NativeZstd) : undefined;
  } catch {
    return undefined; // the public wrapper still works, at the default level
  }
}

/** True when `level` is honoured (the native binding was found). */
export const zstdLevelSupported = native !== undefined;

/** zstd-compresses `data` at `level` on libuv's thread pool. */
export function zstdCompress(data: Buffer, level: number): Promise<Buffer> {
  return native !== undefined ? native.compress(data, level) : compressDefaultLevel(data);
}

/** Inputs up to this many bytes may be compressed synchronously (a 64×64 tile). */
export const SYNC_ZSTD_MAX_BYTES = 16 * 1024;

/**
 * zstd-compresses a small `data` (at most `maxBytes`, default {@link SYNC_ZSTD_MAX_BYTES}) on the calling thread
 * through the system's libzstd: a typed glyph takes microseconds here, while the hop to the
 * thread pool and back costs 0.5–1.5 ms of keystroke latency. Undefined when libzstd cannot be
 * loaded or `data` is larger; the caller then uses {@link zstdCompress}.
 */
export function zstdCompressSync(
  data: Buffer,
  level: number,
  maxBytes = SYNC_ZSTD_MAX_BYTES,
): Buffer | undefined {
  if (data.byteLength > maxBytes) return undefined;
  const lib = loadLibZstd();
  if (lib === null) return undefined;
  const capacity = lib.bound(data.byteLength);
  const out = Buffer.allocUnsafe(capacity);
  const size = lib.compress(out, capacity, data, data.byteLength, level);
  if (lib.isError(size) !== 0) return undefined;
  return out.subarray(0, size);
}
