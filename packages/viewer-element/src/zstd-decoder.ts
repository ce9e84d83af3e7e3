import { decompress as fzstdDecompress } from 'fzstd';
import { ZSTDDecoder } from 'zstddec';
import { ViewerError, ViewerErrorCode } from './viewer-error.js';

/** Which implementation decodes zstd rectangles. */
export type ZstdDecoderKind = 'wasm' | 'js';

/** Decompresses one zstd frame whose decompressed size is known. */
export interface ZstdDecoder {
  readonly kind: ZstdDecoderKind;
  /**
   * Returns exactly `size` bytes; throws {@link ViewerError} `GC_ERR_VIEWER_DECODE` when the
   * input is not a zstd frame or does not decompress to `size` bytes.
   */
  decode(src: Uint8Array, size: number): Uint8Array;
}

let wasmDecoder: Promise<ZstdDecoder> | undefined;

/**
 * The zstd decoder to use: the WebAssembly build of the reference zstd (`zstddec`), chosen by
 * measurement (bench/viewer-element: about 15–25× the throughput of the pure-JS `fzstd` on
 * 1080p frames), or `fzstd` when WebAssembly cannot start — e.g. a page whose CSP forbids
 * `wasm-unsafe-eval` or `data:` fetches. Loaded once per page.
 */
export function loadZstdDecoder(preferred: ZstdDecoderKind = 'wasm'): Promise<ZstdDecoder> {
  if (preferred === 'js') return Promise.resolve(jsDecoder);
  wasmDecoder ??= startWasm().catch(() => jsDecoder);
  return wasmDecoder;
}

async function startWasm(): Promise<ZstdDecoder> {
  const decoder = new ZSTDDecoder();
  await decoder.init();
  return {
    kind: 'wasm',
    decode(src, size) {
      let out: Uint8Array;
      try {
        out = decoder.decode(src, size);
      } catch (cause) {
        throw new ViewerError(ViewerErrorCode.Decode, 'zstd rectangle failed to decode', { cause });
      }
      // zstddec returns whatever the C call wrote; a zstd error code shows up as a wrong length.
      return checked(out, size);
    },
  };
}

const jsDecoder: ZstdDecoder = {
  kind: 'js',
  decode(src, size) {
    let out: Uint8Array;
    try {
      // fzstd is markedly slower when handed an output buffer, so let it allocate.
      out = fzstdDecompress(src);
    } catch (cause) {
      throw new ViewerError(ViewerErrorCode.Decode, 'zstd rectangle failed to decode', { cause });
    }
    return checked(out, size);
  },
};

function checked(out: Uint8Array, size: number): Uint8Array {
  if (out.byteLength !== size) {
    throw new ViewerError(
      ViewerErrorCode.Decode,
      `zstd rectangle decoded to ${out.byteLength} bytes, expected ${size}`,
    );
  }
  return out;
}
