import { Keysym } from './keysyms.js';

/** The parts of a `KeyboardEvent` the mapping reads (so it can be tested without a DOM). */
export interface KeyLike {
  readonly key: string;
  readonly code: string;
  /** `KeyboardEvent.location`: 1 left, 2 right, 3 numpad. */
  readonly location?: number;
}

// Named keys by `KeyboardEvent.key`. `key` names a key's meaning independent of the layout,
// so Enter is Enter on every keyboard; printable characters never reach this table.
const NAMED: ReadonlyMap<string, number> = new Map<string, number>([
  ['Enter', Keysym.Return],
  ['Backspace', Keysym.BackSpace],
  ['Tab', Keysym.Tab],
  ['Escape', Keysym.Escape],
  ['Esc', Keysym.Escape],
  ['ArrowLeft', Keysym.Left],
  ['ArrowUp', Keysym.Up],
  ['ArrowRight', Keysym.Right],
  ['ArrowDown', Keysym.Down],
  ['Left', Keysym.Left],
  ['Up', Keysym.Up],
  ['Right', Keysym.Right],
  ['Down', Keysym.Down],
  ['Home', Keysym.Home],
  ['End', Keysym.End],
  ['PageUp', Keysym.Page_Up],
  ['PageDown', Keysym.Page_Down],
  ['Insert', Keysym.Insert],
  ['Delete', Keysym.Delete],
  ['Del', Keysym.Delete],
  ['Clear', Keysym.Clear],
  ['CapsLock', Keysym.Caps_Lock],
  ['NumLock', Keysym.Num_Lock],
  ['ScrollLock', Keysym.Scroll_Lock],
  ['Pause', Keysym.Pause],
  ['PrintScreen', Keysym.Print],
  ['ContextMenu', Keysym.Menu],
  ['Help', Keysym.Help],
  ['Undo', Keysym.Undo],
  ['Redo', Keysym.Redo],
  ['Find', Keysym.Find],
  ['Select', Keysym.Select],
  ['Execute', Keysym.Execute],
  ['Cancel', Keysym.Cancel],
  ['AltGraph', Keysym.ISO_Level3_Shift],
  ['Compose', Keysym.Multi_key],
  ['ModeChange', Keysym.Mode_switch],
  ['KanjiMode', Keysym.Kanji],
  ['HiraganaKatakana', Keysym.Hiragana_Katakana],
  ['ZenkakuHankaku', Keysym.Zenkaku_Hankaku],
  ['HangulMode', Keysym.Hangul],
  ['HanjaMode', Keysym.Hangul_Hanja],
  ['AudioVolumeDown', Keysym.XF86AudioLowerVolume],
  ['AudioVolumeMute', Keysym.XF86AudioMute],
  ['AudioVolumeUp', Keysym.XF86AudioRaiseVolume],
  ['MediaPlayPause', Keysym.XF86AudioPlay],
  ['MediaStop', Keysym.XF86AudioStop],
  ['MediaTrackPrevious', Keysym.XF86AudioPrev],
  ['MediaTrackNext', Keysym.XF86AudioNext],
]);

// Modifiers are told apart by `code` (ShiftLeft vs ShiftRight); `location` is the fallback
// for synthetic events without a code.
const MODIFIERS: ReadonlyMap<string, readonly [left: number, right: number]> = new Map<
  string,
  readonly [number, number]
>([
  ['Shift', [Keysym.Shift_L, Keysym.Shift_R]],
  ['Control', [Keysym.Control_L, Keysym.Control_R]],
  ['Alt', [Keysym.Alt_L, Keysym.Alt_R]],
  // The Windows / Command key is Super on X11 desktops.
  ['Meta', [Keysym.Super_L, Keysym.Super_R]],
  ['OS', [Keysym.Super_L, Keysym.Super_R]],
  ['Super', [Keysym.Super_L, Keysym.Super_R]],
  ['Hyper', [Keysym.Super_L, Keysym.Super_R]],
]);

/** Keysym of one Unicode code point: Latin-1 maps to itself, everything else to 0x01000000 + code point. */
export function keysymForCodePoint(codePoint: number): number {
  if ((codePoint >= 0x20 && codePoint <= 0x7e) || (codePoint >= 0xa0 && codePoint <= 0xff)) return codePoint;
  return 0x01000000 + codePoint;
}

/**
 * The X11 keysym for a key event, or `undefined` for keys the viewer does not send (dead keys
 * mid-composition, `Unidentified`, IME `Process`).
 *
 * Layout-aware: a printable key is sent as the character the user typed (`event.key`), not as
 * the US key under it, so a French `é` is `eacute` (0xe9) and a German `ß` is `ssharp` (0xdf);
 * the agent finds (or borrows) a keycode that produces it.
 */
export function keysymForKey(event: KeyLike): number | undefined {
  const { key, code } = event;
  const points = [...key];
  if (points.length === 1) {
    const cp = points[0]!.codePointAt(0)!;
    if (cp >= 0x20 && cp !== 0x7f) return keysymForCodePoint(cp);
    return undefined;
  }
  const modifier = MODIFIERS.get(key);
  if (modifier !== undefined) {
    const right = code.endsWith('Right') || (code === '' && event.location === 2);
    return right ? modifier[1] : modifier[0];
  }
  if (key === 'Enter' && code === 'NumpadEnter') return Keysym.KP_Enter;
  const fn = /^F([1-9]|1\d|2[0-4])$/.exec(key);
  if (fn) return Keysym.F1 + Number(fn[1]) - 1;
  return NAMED.get(key);
}
