/**
 * Converts XFixes cursor pixels — one C `unsigned long` per pixel holding premultiplied ARGB in
 * its low 32 bits — to RGBA, 8 bits per channel, not premultiplied.
 */
export function argbLongsToRgba(longs: Uint8Array, pixelCount: number): Uint8Array {
  const out = new Uint8Array(pixelCount * 4);
  const view = new DataView(longs.buffer, longs.byteOffset, longs.byteLength);
  for (let i = 0; i < pixelCount; i++) {
    const argb = view.getUint32(i * 8, true);
    const a = argb >>> 24;
    let r = (argb >>> 16) & 0xff;
    let g = (argb >>> 8) & 0xff;
    let b = argb & 0xff;
    if (a !== 0 && a !== 255) {
      r = Math.min(255, Math.round((r * 255) / a));
      g = Math.min(255, Math.round((g * 255) / a));
      b = Math.min(255, Math.round((b * 255) / a));
    }
    const o = i * 4;
    out[o] = r;
    out[o + 1] = g;
    out[o + 2] = b;
    out[o + 3] = a;
  }
  return out;
}
