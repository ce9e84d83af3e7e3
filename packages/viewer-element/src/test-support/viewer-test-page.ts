// Entry of the test page bundled by viewer-harness.ts: registers <gc-viewer> the way an
// integrator does and exposes a few helpers to the Node side through `window.gcTest`.
import { defineGcViewer, type GcViewer } from '@guruconnect/viewer-element';
import { ViewerError } from '../viewer-error.js';
import {
  createJsDecoder,
  instantiateWasmDecoder,
  loadZstdDecoder,
  type ZstdDecoder,
} from '../zstd-decoder.js';

defineGcViewer();

export interface RecordedEvent {
  type: string;
  [field: string]: unknown;
}

export interface CreateOptions {
  id: string;
  server: string;
  session: string;
  token?: string;
  width?: number;
  height?: number;
  scale?: 'fit' | 'actual';
  viewOnly?: boolean;
  /** Install a tokenProvider returning `${prefix}-1`, `${prefix}-2`, … */
  tokenPrefix?: string;
  maxReconnectAttempts?: number;
  mode?: 'desktop' | 'terminal' | 'playback';
  src?: string;
}

const EVENT_TYPES = [
  'gc-connected',
  'gc-disconnected',
  'gc-error',
  'gc-consent-pending',
  'gc-consent-granted',
  'gc-consent-declined',
  'gc-displays-changed',
  'gc-resize',
  'gc-terminal-exit',
  'gc-playback-state',
];
const events = new Map<string, RecordedEvent[]>();

function viewer(id: string): GcViewer {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`no element #${id}`);
  return el as GcViewer;
}

function screen(id: string): HTMLCanvasElement {
  return viewer(id).shadowRoot!.querySelector<HTMLCanvasElement>('canvas.screen')!;
}

let wasmDecoder: Promise<ZstdDecoder> | undefined;

function toBase64(data: Uint8Array | Uint8ClampedArray): string {
  let binary = '';
  for (let i = 0; i < data.length; i += 0x8000) {
    binary += String.fromCharCode(...data.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

const gcTest = {
  create(options: CreateOptions): void {
    const el = document.createElement('gc-viewer');
    el.id = options.id;
    el.style.width = `${options.width ?? 800}px`;
    el.style.height = `${options.height ?? 450}px`;
    el.scale = options.scale ?? 'fit';
    el.viewOnly = options.viewOnly ?? false;
    if (options.mode !== undefined) el.mode = options.mode;
    if (options.src !== undefined) el.src = options.src;
    el.server = options.server;
    el.session = options.session;
    if (options.maxReconnectAttempts !== undefined) el.maxReconnectAttempts = options.maxReconnectAttempts;
    if (options.tokenPrefix !== undefined) {
      let n = 0;
      el.tokenProvider = async () => `${options.tokenPrefix}-${++n}`;
    }
    el.token = options.token ?? '';
    const log: RecordedEvent[] = [];
    events.set(options.id, log);
    for (const type of EVENT_TYPES) {
      el.addEventListener(type, (event) => {
        const record: RecordedEvent = { type };
        for (const key of [
          'code',
          'reason',
          'message',
          'willRetry',
          'width',
          'height',
          'control',
          'activeDisplayId',
          'channelId',
          'exitCode',
          'signal',
          'playing',
          'ended',
        ]) {
          if (key in event) record[key] = (event as unknown as Record<string, unknown>)[key];
        }
        log.push(record);
      });
    }
    document.body.append(el);
  },
  remove(id: string): void {
    viewer(id).remove();
  },
  events(id: string): RecordedEvent[] {
    return events.get(id) ?? [];
  },
  status(id: string): { text: string; hidden: boolean; state: string } {
    const status = viewer(id).shadowRoot!.querySelector<HTMLElement>('[part=status]')!;
    return {
      text: status.textContent?.trim() ?? '',
      hidden: status.hidden,
      state: viewer(id).connectionState.kind,
    };
  },
  /** The state the status box shows (the recording's status in playback mode). */
  statusShown(id: string): string {
    return viewer(id).shadowRoot!.querySelector<HTMLElement>('[part=status]')!.dataset.state ?? '';
  },
  /** RGBA bytes of a canvas region, base64. */
  pixels(id: string, x: number, y: number, width: number, height: number): string {
    const canvas = screen(id);
    return toBase64(canvas.getContext('2d')!.getImageData(x, y, width, height).data);
  },
  /** The kind of decoder the element loads on this page. */
  async defaultDecoderKind(): Promise<string> {
    return (await loadZstdDecoder()).kind;
  },
  /**
   * Decodes a base64 zstd payload with one decoder ('wasm' is one instance per page, reused
   * across calls): `decode(src, width*height*4)`, or `decodeRgba` when `rgba` is set.
   */
  async decode(
    kind: 'wasm' | 'js',
    payload: string,
    width: number,
    height: number,
    rgba: boolean,
  ): Promise<{ bytes: string } | { code: string; message: string }> {
    wasmDecoder ??= instantiateWasmDecoder();
    const decoder = kind === 'js' ? createJsDecoder() : await wasmDecoder;
    const src = Uint8Array.from(atob(payload), (c) => c.charCodeAt(0));
    try {
      const out = rgba ? decoder.decodeRgba(src, width, height) : decoder.decode(src, width * height * 4);
      return { bytes: toBase64(out) };
    } catch (error) {
      if (error instanceof ViewerError) return { code: error.code, message: error.message };
      throw error;
    }
  },
  canvasSize(id: string): { width: number; height: number } {
    const canvas = screen(id);
    return { width: canvas.width, height: canvas.height };
  },
  /** The canvas's CSS box in page coordinates. */
  canvasBox(id: string): { left: number; top: number; width: number; height: number } {
    const box = screen(id).getBoundingClientRect();
    return { left: box.left, top: box.top, width: box.width, height: box.height };
  },
  cursorBox(id: string): { left: number; top: number; width: number; height: number; display: string } {
    const cursor = viewer(id).shadowRoot!.querySelector<HTMLCanvasElement>('canvas.cursor')!;
    const box = cursor.getBoundingClientRect();
    return {
      left: box.left,
      top: box.top,
      width: box.width,
      height: box.height,
      display: cursor.style.display,
    };
  },
  focus(id: string): void {
    screen(id).focus();
  },
  blur(id: string): void {
    screen(id).blur();
  },
  /** Dispatches a synthetic key event on the screen, as a layout the test machine lacks would produce. */
  key(id: string, type: 'keydown' | 'keyup', key: string, code: string): boolean {
    const event = new KeyboardEvent(type, { key, code, bubbles: true, composed: true, cancelable: true });
    screen(id).dispatchEvent(event);
    return event.defaultPrevented;
  },
  /** The terminal's buffer as text: one line per row, trailing blanks trimmed, wrapped rows joined. */
  terminalText(id: string): string {
    const terminal = viewer(id).terminal;
    if (terminal === undefined) return '';
    const buffer = terminal.buffer.active;
    let out = '';
    for (let y = 0; y < buffer.length; y++) {
      const line = buffer.getLine(y);
      if (line === undefined) continue;
      out += (line.isWrapped || y === 0 ? '' : '\n') + line.translateToString(true);
    }
    return out;
  },
  terminalSize(id: string): { cols: number; rows: number } | undefined {
    const terminal = viewer(id).terminal;
    return terminal === undefined ? undefined : { cols: terminal.cols, rows: terminal.rows };
  },
  /** The terminal's box and one cell's size, in page coordinates. */
  terminalBox(id: string): { left: number; top: number; cellWidth: number; cellHeight: number } {
    viewer(id).scrollIntoView();
    const terminal = viewer(id).terminal!;
    const screen = terminal.element!.querySelector<HTMLElement>('.xterm-screen')!;
    const box = screen.getBoundingClientRect();
    return {
      left: box.left,
      top: box.top,
      cellWidth: box.width / terminal.cols,
      cellHeight: box.height / terminal.rows,
    };
  },
  focusTerminal(id: string): void {
    viewer(id).terminal?.focus();
  },
  resize(id: string, width: number, height: number): void {
    viewer(id).style.width = `${width}px`;
    viewer(id).style.height = `${height}px`;
  },
  viewer,
};

declare global {
  interface Window {
    gcTest: typeof gcTest;
  }
}
window.gcTest = gcTest;
