/*
 * The WebAssembly side of <gc-viewer>'s zstd decoder: the reference zstd decompressor (built
 * from source by build.mjs) plus one input buffer, one output buffer and an in-place
 * BGRA → opaque RGBA swizzle, so a rectangle goes from its compressed bytes to canvas-ready
 * pixels without leaving WebAssembly memory. Single-threaded; one decoder per instance.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <wasm_simd128.h>
#define ZSTD_STATIC_LINKING_ONLY
#include "zstd.h"

#define EXPORT(name) __attribute__((export_name(#name)))

static ZSTD_DCtx *dctx;
static uint8_t *input;
static size_t input_cap;
static uint8_t *output;
static size_t output_cap;

/* Grows *buf to hold n bytes; returns it, or NULL (old buffer kept) when memory runs out. */
static uint8_t *reserve(uint8_t **buf, size_t *cap, size_t n) {
  if (n <= *cap) return *buf;
  uint8_t *grown = malloc(n);
  if (grown == NULL) return NULL;
  free(*buf);
  *buf = grown;
  *cap = n;
  return grown;
}

/* Where the caller writes n compressed bytes; NULL when memory runs out. */
EXPORT(gc_input) uint8_t *gc_input(size_t n) { return reserve(&input, &input_cap, n); }

/* Where gc_decode writes; NULL when memory runs out. */
EXPORT(gc_output) uint8_t *gc_output(size_t n) { return reserve(&output, &output_cap, n); }

/*
 * 0 when the src_len bytes of gc_input may decompress to `expected` bytes: the zstd frame
 * headers declare that total or do not say. 1 when they declare another total or are not
 * zstd frames, so a hostile size is refused before any output buffer is allocated.
 */
EXPORT(gc_size_mismatch) int gc_size_mismatch(size_t src_len, size_t expected) {
  if (src_len > input_cap) return 1;
  unsigned long long declared = ZSTD_findDecompressedSize(input, src_len);
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN) return 0;
  if (declared == ZSTD_CONTENTSIZE_ERROR) return 1;
  return declared != (unsigned long long)expected;
}

/*
 * Decompresses src_len bytes of gc_input into at most dst_len bytes of gc_output. Returns the
 * decompressed size or a zstd error code (see gc_is_error); 0 when no context can be created.
 */
EXPORT(gc_decode) size_t gc_decode(size_t src_len, size_t dst_len) {
  if (dctx == NULL) dctx = ZSTD_createDCtx();
  if (dctx == NULL || src_len > input_cap || dst_len > output_cap) return 0;
  return ZSTD_decompressDCtx(dctx, output, dst_len, input, src_len);
}

EXPORT(gc_is_error) unsigned gc_is_error(size_t code) { return ZSTD_isError(code); }

/* A static, NUL-terminated description of a zstd error code. */
EXPORT(gc_error_name) const char *gc_error_name(size_t code) { return ZSTD_getErrorName(code); }

/*
 * VideoFrame.stream_chunk: one decompression context per viewer stream, fed the chunks (header
 * byte stripped by the caller) in order. The window is capped at 2^22 bytes, as the protocol
 * promises, so a hostile chunk cannot make the page allocate more.
 */
EXPORT(gc_stream_new) ZSTD_DCtx *gc_stream_new(void) {
  ZSTD_DCtx *ctx = ZSTD_createDCtx();
  if (ctx == NULL) return NULL;
  if (ZSTD_isError(ZSTD_DCtx_setParameter(ctx, ZSTD_d_windowLogMax, 22))) {
    ZSTD_freeDCtx(ctx);
    return NULL;
  }
  return ctx;
}

EXPORT(gc_stream_free) void gc_stream_free(ZSTD_DCtx *ctx) { ZSTD_freeDCtx(ctx); }

/* Forgets the stream so far: the next chunk must start a new zstd frame. */
EXPORT(gc_stream_reset) void gc_stream_reset(ZSTD_DCtx *ctx) { ZSTD_DCtx_reset(ctx, ZSTD_reset_session_only); }

/* The error gc_stream_decode returns when a chunk decompresses to more than dst_cap bytes. */
EXPORT(gc_stream_too_large) size_t gc_stream_too_large(void) { return (size_t)-ZSTD_error_dstSize_tooSmall; }

/*
 * Decompresses the src_len bytes of gc_input, one flushed chunk, into gc_output (at most dst_cap
 * bytes). Returns the number of bytes produced, or a zstd error code (see gc_is_error).
 */
EXPORT(gc_stream_decode) size_t gc_stream_decode(ZSTD_DCtx *ctx, size_t src_len, size_t dst_cap) {
  if (ctx == NULL || src_len > input_cap || dst_cap > output_cap) return (size_t)-ZSTD_error_GENERIC;
  ZSTD_inBuffer in = {input, src_len, 0};
  ZSTD_outBuffer out = {output, dst_cap, 0};
  for (;;) {
    size_t before = out.pos;
    size_t ret = ZSTD_decompressStream(ctx, &out, &in);
    if (ZSTD_isError(ret)) return ret;
    if (in.pos == in.size && out.pos == before) return out.pos;
    if (out.pos == out.size) {
      /* Output full: done only if nothing more is pending for this input. */
      if (in.pos == in.size) {
        uint8_t probe;
        ZSTD_outBuffer extra = {&probe, 1, 0};
        ret = ZSTD_decompressStream(ctx, &extra, &in);
        if (ZSTD_isError(ret)) return ret;
        if (extra.pos == 0) return out.pos;
      }
      return gc_stream_too_large();
    }
  }
}

/*
 * Turns `pixels` BGRX pixels starting `offset` bytes into gc_output into RGBA with alpha 255 (X
 * servers leave the padding byte undefined), 4 pixels per SIMD step.
 */
EXPORT(gc_bgra_to_rgba_at) void gc_bgra_to_rgba_at(size_t offset, size_t pixels) {
  if (offset > output_cap || pixels > (output_cap - offset) / 4) return;
  uint8_t *p = output + offset;
  size_t i = 0;
  const v128_t opaque = wasm_i32x4_splat((int32_t)0xff000000);
  for (; i + 4 <= pixels; i += 4) {
    v128_t v = wasm_v128_load(p + i * 4);
    v = wasm_i8x16_shuffle(v, v, 2, 1, 0, 3, 6, 5, 4, 7, 10, 9, 8, 11, 14, 13, 12, 15);
    wasm_v128_store(p + i * 4, wasm_v128_or(v, opaque));
  }
  for (; i < pixels; i++) {
    uint8_t *q = p + i * 4;
    uint8_t b = q[0];
    q[0] = q[2];
    q[2] = b;
    q[3] = 255;
  }
}

/* gc_bgra_to_rgba_at from the start of gc_output. */
EXPORT(gc_bgra_to_rgba) void gc_bgra_to_rgba(size_t pixels) { gc_bgra_to_rgba_at(0, pixels); }
