import { describe, expect, it } from 'vitest';
import { keysymForCodePoint, keysymForKey } from './keysym-map.js';
import { Keysym } from './keysyms.js';

describe('keysymForKey', () => {
  it('sends printable characters as typed: Latin-1 as itself, other Unicode as 0x01000000 + code point', () => {
    expect(keysymForKey({ key: 'a', code: 'KeyQ' })).toBe(0x61); // AZERTY: the A key sits where US has Q
    expect(keysymForKey({ key: 'A', code: 'KeyA' })).toBe(0x41);
    expect(keysymForKey({ key: ' ', code: 'Space' })).toBe(0x20);
    expect(keysymForKey({ key: '~', code: 'Backquote' })).toBe(0x7e);
    expect(keysymForKey({ key: 'é', code: 'Digit2' })).toBe(0xe9);
    expect(keysymForKey({ key: 'ß', code: 'Minus' })).toBe(0xdf);
    expect(keysymForKey({ key: '\u00a0', code: 'Space' })).toBe(0xa0);
    expect(keysymForKey({ key: 'ж', code: 'Semicolon' })).toBe(0x01000436);
    expect(keysymForKey({ key: '€', code: 'KeyE' })).toBe(0x010020ac);
    expect(keysymForKey({ key: '😀', code: '' })).toBe(0x0101f600);
  });

  it('maps named keys and tells left from right modifiers by code', () => {
    expect(keysymForKey({ key: 'Enter', code: 'Enter' })).toBe(Keysym.Return);
    expect(keysymForKey({ key: 'Enter', code: 'NumpadEnter' })).toBe(Keysym.KP_Enter);
    expect(keysymForKey({ key: 'F1', code: 'F1' })).toBe(0xffbe);
    expect(keysymForKey({ key: 'F24', code: 'F24' })).toBe(0xffbe + 23);
    expect(keysymForKey({ key: 'F25', code: 'F25' })).toBeUndefined();
    expect(keysymForKey({ key: 'Shift', code: 'ShiftLeft' })).toBe(Keysym.Shift_L);
    expect(keysymForKey({ key: 'Shift', code: 'ShiftRight' })).toBe(Keysym.Shift_R);
    expect(keysymForKey({ key: 'Control', code: '', location: 2 })).toBe(Keysym.Control_R);
    expect(keysymForKey({ key: 'Meta', code: 'MetaLeft' })).toBe(Keysym.Super_L);
    expect(keysymForKey({ key: 'AltGraph', code: 'AltRight' })).toBe(Keysym.ISO_Level3_Shift);
    expect(keysymForKey({ key: 'PageUp', code: 'PageUp' })).toBe(Keysym.Page_Up);
    expect(keysymForKey({ key: 'Delete', code: 'Delete' })).toBe(Keysym.Delete);
  });

  it('sends nothing for dead keys, IME processing and unknown keys', () => {
    expect(keysymForKey({ key: 'Dead', code: 'BracketLeft' })).toBeUndefined();
    expect(keysymForKey({ key: 'Process', code: 'KeyA' })).toBeUndefined();
    expect(keysymForKey({ key: 'Unidentified', code: '' })).toBeUndefined();
    expect(keysymForKey({ key: '\u0007', code: '' })).toBeUndefined();
  });

  it('keeps the Latin-1 gap (0x7f–0x9f) out of the direct range', () => {
    expect(keysymForCodePoint(0x7e)).toBe(0x7e);
    expect(keysymForCodePoint(0x85)).toBe(0x01000085);
    expect(keysymForCodePoint(0xff)).toBe(0xff);
    expect(keysymForCodePoint(0x100)).toBe(0x01000100);
  });
});
