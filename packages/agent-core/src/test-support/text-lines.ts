/**
 * Text-like BGRX pixels for scroll tests: 16-row lines of pseudo-glyphs (dark on white), every
 * line different, numbered from `firstLine` — so the same `width` with `firstLine + k` is the
 * same text scrolled up by k lines.
 */
export function textLines(width: number, rows: number, firstLine: number): Buffer {
  const out = Buffer.alloc(width * rows * 4, 0xff);
  for (let y = 0; y < rows; y++) {
    const line = firstLine + Math.floor(y / 16);
    const inLine = y % 16;
    if (inLine < 3 || inLine > 12) continue;
    for (let x = 0; x < width; x++) {
      const cell = Math.floor(x / 8);
      let h =
        Math.imul(line + 1, 0x9e3779b1) ^
        Math.imul(cell + 1, 0x85ebca6b) ^
        Math.imul(inLine * 8 + (x % 8) + 1, 0xc2b2ae35);
      h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
      h ^= h >>> 13;
      const on = (h & 7) < 3 && (cell + line) % 9 !== 0;
      if (on) out.writeUInt32LE(0x00202020, (y * width + x) * 4);
    }
  }
  return out;
}
