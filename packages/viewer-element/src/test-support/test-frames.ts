// Known pixels for the viewer tests and benchmarks: BGRA sources, their zstd encoding, and a
// model of the remote screen that says what the canvas must hold after each rectangle.
import type { EnvelopeInit } from '@guruconnect/protocol';
import { Codec } from '@guruconnect/protocol';
import { compress } from '@mongodb-js/zstd';

/** Deterministic noisy BGRA pixels (alpha 255 unless `alpha` is given). */
export function bgraPattern(width: number, height: number, seed: number, alpha = 255): Buffer {
  const out = Buffer.alloc(width * height * 4);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i += 4) {
    // xorshift32: cheap, deterministic, and every channel value occurs.
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 0xff;
    out[i + 1] = (s >>> 8) & 0xff;
    out[i + 2] = (s >>> 16) & 0xff;
    out[i + 3] = alpha;
  }
  return out;
}

/** A plain-colour BGRA block. */
export function bgraSolid(width: number, height: number, [b, g, r]: [number, number, number]): Buffer {
  const out = Buffer.alloc(width * height * 4);
  for (let i = 0; i < out.length; i += 4) {
    out[i] = b;
    out[i + 1] = g;
    out[i + 2] = r;
    out[i + 3] = 255;
  }
  return out;
}

export function zstd(bgra: Buffer, level = 3): Promise<Buffer> {
  return compress(bgra, level);
}

export interface TestRect {
  x: number;
  y: number;
  width: number;
  height: number;
  codec: Codec;
  /** The source pixels (BGRA) — what the canvas must show. */
  bgra: Buffer;
  /** What goes on the wire (zstd of `bgra`, or `bgra` itself for raw). */
  payload: Uint8Array;
  /** Source corner of a CODEC_COPY rectangle. */
  srcX?: number;
  srcY?: number;
}

/** A CODEC_COPY rectangle: `width`×`height` pixels from (srcX, srcY) to (x, y). */
export function copyRect(
  x: number,
  y: number,
  width: number,
  height: number,
  srcX: number,
  srcY: number,
): TestRect {
  return {
    x,
    y,
    width,
    height,
    codec: Codec.COPY,
    bgra: Buffer.alloc(0),
    payload: new Uint8Array(0),
    srcX,
    srcY,
  };
}

export async function rect(
  x: number,
  y: number,
  bgra: Buffer,
  width: number,
  height: number,
  codec: Codec = Codec.ZSTD_BGRA,
): Promise<TestRect> {
  const payload = codec === Codec.ZSTD_BGRA ? await zstd(bgra) : bgra;
  return { x, y, width, height, codec, bgra, payload };
}

/** The remote screen as RGBA, updated rectangle by rectangle like the viewer's canvas should be. */
export class ScreenModel {
  readonly rgba: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.rgba = Buffer.alloc(width * height * 4);
  }

  apply(r: TestRect): void {
    if (r.codec === Codec.COPY) {
      const before = Buffer.from(this.rgba);
      for (let row = 0; row < r.height; row++) {
        const src = ((r.srcY! + row) * this.width + r.srcX!) * 4;
        before.copy(this.rgba, ((r.y + row) * this.width + r.x) * 4, src, src + r.width * 4);
      }
      return;
    }
    for (let row = 0; row < r.height; row++) {
      for (let col = 0; col < r.width; col++) {
        const src = (row * r.width + col) * 4;
        const dst = ((r.y + row) * this.width + r.x + col) * 4;
        this.rgba[dst] = r.bgra[src + 2]!;
        this.rgba[dst + 1] = r.bgra[src + 1]!;
        this.rgba[dst + 2] = r.bgra[src]!;
        this.rgba[dst + 3] = 255;
      }
    }
  }
}

export function videoFrame(
  sequence: number,
  display: { id: string; width: number; height: number },
  rects: readonly TestRect[],
  keyFrame: boolean,
): EnvelopeInit {
  return {
    payload: {
      case: 'videoFrame',
      value: {
        sequence: BigInt(sequence),
        displayId: display.id,
        displayWidth: display.width,
        displayHeight: display.height,
        keyFrame,
        captureTimeUs: BigInt(1_000_000 + sequence),
        rects: rects.map((r) => ({
          x: r.x,
          y: r.y,
          width: r.width,
          height: r.height,
          codec: r.codec,
          payload: r.payload,
          srcX: r.srcX ?? 0,
          srcY: r.srcY ?? 0,
        })),
      },
    },
  };
}

/**
 * A synthetic desktop: gradient wallpaper, a taskbar, and a window full of text-like glyph
 * rows — content that compresses the way a real screen does.
 */
export function bgraDesktop(width: number, height: number): Buffer {
  const out = Buffer.alloc(width * height * 4);
  const win = {
    x0: Math.round(width * 0.12),
    y0: Math.round(height * 0.1),
    x1: Math.round(width * 0.75),
    y1: Math.round(height * 0.8),
  };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r: number;
      let g: number;
      let b: number;
      if (y >= height - 40) {
        [r, g, b] = [32, 34, 40];
      } else if (x >= win.x0 && x < win.x1 && y >= win.y0 && y < win.y1) {
        const titleBar = y < win.y0 + 28;
        const line = (y - win.y0 - 36) % 18;
        const glyph = line >= 0 && line < 12 && ((x * 7) ^ (y * 3) ^ (x >> 3)) % 5 < 2 && x % 96 < 88;
        [r, g, b] = titleBar ? [60, 90, 160] : glyph ? [25, 25, 25] : [250, 250, 250];
      } else {
        [r, g, b] = [(x * 255) / width, 90, (y * 255) / height];
      }
      const i = (y * width + x) * 4;
      out[i] = b;
      out[i + 1] = g;
      out[i + 2] = r;
      out[i + 3] = 255;
    }
  }
  return out;
}
