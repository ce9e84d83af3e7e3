import { createRequire } from 'node:module';
import { compress as compressDefaultLevel } from '@mongodb-js/zstd';

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
