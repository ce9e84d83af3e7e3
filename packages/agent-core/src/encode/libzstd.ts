import koffi from 'koffi';

/** The parts of the system's libzstd the agent calls through koffi (one binding for all of them). */
export interface LibZstd {
  bound(size: number): number;
  isError(code: number): number;
  errorName(code: number): string;
  /** One-shot compression (`ZSTD_compress`). */
  compress(dst: Buffer, capacity: number, src: Uint8Array, size: number, level: number): number;
  createCCtx(): unknown;
  freeCCtx(cctx: unknown): number;
  setParameter(cctx: unknown, param: number, value: number): number;
  resetCCtx(cctx: unknown, directive: number): number;
  compressStream2(
    cctx: unknown,
    dst: Buffer,
    capacity: number,
    dstPos: [number],
    src: Uint8Array,
    size: number,
    srcPos: [number],
    endOp: number,
  ): number;
  /** The decompression side, for tests that read what the agent streams. */
  createDCtx(): unknown;
  freeDCtx(dctx: unknown): number;
  resetDCtx(dctx: unknown, directive: number): number;
  decompressStream(
    dctx: unknown,
    dst: Buffer,
    capacity: number,
    dstPos: [number],
    src: Uint8Array,
    size: number,
    srcPos: [number],
  ): number;
}

const loaded = new Map<string, LibZstd | null>();

/** `library` (default the system's `libzstd.so.1`) through koffi, or null when it cannot be loaded. */
export function loadLibZstd(library = 'libzstd.so.1'): LibZstd | null {
  const known = loaded.get(library);
  if (known !== undefined) return known;
  let lib: LibZstd | null;
  try {
    const so = koffi.load(library);
    lib = {
      bound: so.func('size_t ZSTD_compressBound(size_t srcSize)'),
      isError: so.func('unsigned int ZSTD_isError(size_t code)'),
      errorName: so.func('const char *ZSTD_getErrorName(size_t code)'),
      compress: so.func(
        'size_t ZSTD_compress(void *dst, size_t dstCapacity, const void *src, size_t srcSize, int level)',
      ),
      createCCtx: so.func('void *ZSTD_createCCtx(void)'),
      freeCCtx: so.func('size_t ZSTD_freeCCtx(void *cctx)'),
      setParameter: so.func('size_t ZSTD_CCtx_setParameter(void *cctx, int param, int value)'),
      resetCCtx: so.func('size_t ZSTD_CCtx_reset(void *cctx, int directive)'),
      compressStream2: so.func(
        'size_t ZSTD_compressStream2_simpleArgs(void *cctx, void *dst, size_t dstCapacity, _Inout_ size_t *dstPos, const void *src, size_t srcSize, _Inout_ size_t *srcPos, int endOp)',
      ),
      createDCtx: so.func('void *ZSTD_createDCtx(void)'),
      freeDCtx: so.func('size_t ZSTD_freeDCtx(void *dctx)'),
      resetDCtx: so.func('size_t ZSTD_DCtx_reset(void *dctx, int directive)'),
      decompressStream: so.func(
        'size_t ZSTD_decompressStream_simpleArgs(void *dctx, void *dst, size_t dstCapacity, _Inout_ size_t *dstPos, const void *src, size_t srcSize, _Inout_ size_t *srcPos)',
      ),
    } as LibZstd;
  } catch {
    lib = null; // callers fall back: the thread-pool compressor, single zstd frames
  }
  loaded.set(library, lib);
  return lib;
}
