import type { Asciicast } from './asciicast.js';

export interface AsciicastPlayerOptions {
  /** The parsed recording. Required. */
  cast: Asciicast;
  /** Receives output events' data, in order. Required. */
  output: (data: string) => void;
  /** Receives resize events (and the header's size at the start). Required. */
  resize: (cols: number, rows: number) => void;
  /** Clears the screen before playing again from the start. Required. */
  reset: () => void;
  /** Called whenever playing, position jumps, speed or the end changed. */
  onChange?: () => void;
  /** Playback speed. Default 1; bounds 0.25–16. */
  speed?: number;
}

/**
 * Replays an asciicast with its real timing (gaps longer than the header's `idle_time_limit`
 * shortened to it), at a chosen speed, with play and pause. One timer at a time; `dispose()`
 * stops it.
 */
export class AsciicastPlayer {
  readonly #options: AsciicastPlayerOptions;
  /** Event times after the idle limit, in seconds. */
  readonly #times: number[];
  #index = 0;
  #base = 0;
  #startedAt = 0;
  #speed: number;
  #playing = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: AsciicastPlayerOptions) {
    this.#options = options;
    this.#speed = clampSpeed(options.speed ?? 1);
    const limit = options.cast.header.idleTimeLimit ?? Number.POSITIVE_INFINITY;
    let previous = 0;
    let at = 0;
    this.#times = options.cast.events.map((e) => {
      at += Math.min(e.time - previous, limit);
      previous = e.time;
      return at;
    });
    options.resize(options.cast.header.width, options.cast.header.height);
  }

  get playing(): boolean {
    return this.#playing;
  }

  get ended(): boolean {
    return this.#index >= this.#times.length;
  }

  /** Length of the recording in seconds (after the idle limit). */
  get duration(): number {
    return this.#times.at(-1) ?? 0;
  }

  /** Seconds into the recording. */
  get position(): number {
    if (!this.#playing) return this.#base;
    return Math.min(this.duration, this.#base + ((performance.now() - this.#startedAt) / 1000) * this.#speed);
  }

  get speed(): number {
    return this.#speed;
  }

  set speed(value: number) {
    const position = this.position;
    this.#speed = clampSpeed(value);
    this.#base = position;
    this.#startedAt = performance.now();
    if (this.#playing) this.#schedule();
    this.#options.onChange?.();
  }

  play(): void {
    if (this.#playing) return;
    if (this.ended) {
      this.#options.reset();
      this.#options.resize(this.#options.cast.header.width, this.#options.cast.header.height);
      this.#index = 0;
      this.#base = 0;
    }
    this.#playing = true;
    this.#startedAt = performance.now();
    this.#options.onChange?.();
    this.#tick();
  }

  pause(): void {
    if (!this.#playing) return;
    this.#base = this.position;
    this.#playing = false;
    this.#clear();
    this.#options.onChange?.();
  }

  dispose(): void {
    this.#playing = false;
    this.#clear();
  }

  #clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#playing) return;
    const position = this.position;
    const { events } = this.#options.cast;
    let output = '';
    while (this.#index < events.length && this.#times[this.#index]! <= position) {
      const event = events[this.#index++]!;
      if (event.code === 'o') {
        output += event.data;
      } else if (event.code === 'r') {
        if (output !== '') this.#options.output(output);
        output = '';
        const [cols, rows] = event.data.split('x').map(Number) as [number, number];
        if (cols > 0 && rows > 0) this.#options.resize(cols, rows);
      }
      // 'i' (input) and 'm' (marker) events are not shown.
    }
    if (output !== '') this.#options.output(output);
    if (this.ended) {
      this.#base = this.duration;
      this.#playing = false;
      this.#options.onChange?.();
      return;
    }
    this.#schedule();
  }

  #schedule(): void {
    this.#clear();
    const wait = ((this.#times[this.#index]! - this.position) / this.#speed) * 1000;
    this.#timer = setTimeout(() => this.#tick(), Math.max(0, wait));
  }
}

function clampSpeed(value: number): number {
  return Number.isFinite(value) ? Math.min(16, Math.max(0.25, value)) : 1;
}
