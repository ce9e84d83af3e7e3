import { describe, expect, it } from 'vitest';
import { mapToDisplay, protocolButtons } from './pointer-input.js';

describe('mapToDisplay', () => {
  it('scales from the CSS box to display pixels and clamps to the display', () => {
    const box = { left: 10, top: 20, width: 800, height: 450 };
    expect(mapToDisplay(110, 70, box, 1600, 900)).toEqual({ x: 200, y: 100 });
    expect(mapToDisplay(10, 20, box, 1600, 900)).toEqual({ x: 0, y: 0 });
    expect(mapToDisplay(810, 470, box, 1600, 900)).toEqual({ x: 1599, y: 899 });
    expect(mapToDisplay(-50, -50, box, 1600, 900)).toEqual({ x: 0, y: 0 });
    expect(mapToDisplay(110, 70, { left: 10, top: 20, width: 1600, height: 900 }, 1600, 900)).toEqual({
      x: 100,
      y: 50,
    });
  });
});

describe('protocolButtons', () => {
  it('swaps the DOM order (primary, secondary, auxiliary) into left 1, middle 2, right 4', () => {
    expect(protocolButtons(1)).toBe(1);
    expect(protocolButtons(2)).toBe(4);
    expect(protocolButtons(4)).toBe(2);
    expect(protocolButtons(8)).toBe(8);
    expect(protocolButtons(16)).toBe(16);
    expect(protocolButtons(1 | 2 | 4 | 8 | 16)).toBe(31);
  });
});
