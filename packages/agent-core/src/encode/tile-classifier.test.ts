import { describe, expect, it } from 'vitest';
import { TileClassifier } from './tile-classifier.js';

describe('TileClassifier lossy marks', () => {
  it('marks where a copy moved lossy pixels, and refines them once quiet', () => {
    const c = new TileClassifier({ width: 256, height: 256 });
    const dest = { x: 0, y: 64, width: 128, height: 64 };
    expect(c.anyLossy(dest)).toBe(false);
    c.markLossy(dest, 1000);
    expect(c.anyLossy(dest)).toBe(true);
    expect(c.anyLossy({ x: 0, y: 0, width: 256, height: 64 })).toBe(false);
    expect(c.anyLossy({ x: 120, y: 120, width: 20, height: 20 })).toBe(true);
    expect(c.nextRefinementAt(300)).toBe(1300);
    expect(c.dueForRefinement(1100, 300)).toEqual([]);
    expect(c.dueForRefinement(1400, 300)).toEqual([dest]);
    c.markLossless(dest);
    expect(c.anyLossy(dest)).toBe(false);
    expect(c.nextRefinementAt(300)).toBeUndefined();
  });
});
