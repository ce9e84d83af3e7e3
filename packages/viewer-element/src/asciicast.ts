import { ViewerError, ViewerErrorCode } from './viewer-error.js';

/** The header line of an asciicast v2 file. */
export interface AsciicastHeader {
  version: 2;
  width: number;
  height: number;
  timestamp?: number;
  duration?: number;
  /** Gaps longer than this many seconds are shortened to it on playback. */
  idleTimeLimit?: number;
  title?: string;
}

/** One event line: `[time, code, data]`. Codes: `o` output, `i` input, `m` marker, `r` resize ("COLSxROWS"). */
export interface AsciicastEvent {
  time: number;
  code: string;
  data: string;
}

export interface Asciicast {
  header: AsciicastHeader;
  events: AsciicastEvent[];
}

function fail(line: number, message: string): never {
  throw new ViewerError(ViewerErrorCode.Playback, `not a valid asciicast v2 file: line ${line}: ${message}`);
}

function positiveInt(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= 10_000;
}

/**
 * Parses and validates an asciicast v2 file (newline-delimited JSON): a header object with
 * `version: 2` and positive integer `width` and `height`, then event lines `[time, code, data]`
 * with a finite, non-negative, non-decreasing time, a one-letter code and a string. Blank lines
 * are allowed; anything else throws {@link ViewerError} `GC_ERR_VIEWER_PLAYBACK` naming the line.
 */
export function parseAsciicast(text: string): Asciicast {
  const lines = text.split('\n');
  const first = lines[0]?.trim() ?? '';
  if (first === '') fail(1, 'the header line is missing');
  let header: unknown;
  try {
    header = JSON.parse(first);
  } catch {
    fail(1, 'the header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail(1, 'the header is not an object');
  const h = header as Record<string, unknown>;
  if (h.version !== 2) fail(1, `version must be 2, not ${JSON.stringify(h.version)}`);
  if (!positiveInt(h.width) || !positiveInt(h.height)) fail(1, 'width and height must be positive integers');
  const idle = h.idle_time_limit;
  if (idle !== undefined && idle !== null && !(typeof idle === 'number' && idle > 0)) {
    fail(1, 'idle_time_limit must be a positive number');
  }
  const events: AsciicastEvent[] = [];
  let last = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      fail(i + 1, 'not JSON');
    }
    if (!Array.isArray(value) || value.length !== 3) fail(i + 1, 'an event must be [time, code, data]');
    const [time, code, data] = value as unknown[];
    if (typeof time !== 'number' || !Number.isFinite(time) || time < 0)
      fail(i + 1, 'time must be a number ≥ 0');
    if (time < last) fail(i + 1, 'time goes backwards');
    if (typeof code !== 'string' || !/^[a-z]$/.test(code)) fail(i + 1, 'code must be one letter');
    if (typeof data !== 'string') fail(i + 1, 'data must be a string');
    if (code === 'r' && !/^\d+x\d+$/.test(data)) fail(i + 1, 'a resize must be "COLSxROWS"');
    last = time;
    events.push({ time, code, data });
  }
  return {
    header: {
      version: 2,
      width: h.width,
      height: h.height,
      ...(typeof h.timestamp === 'number' ? { timestamp: h.timestamp } : {}),
      ...(typeof h.duration === 'number' ? { duration: h.duration } : {}),
      ...(typeof idle === 'number' ? { idleTimeLimit: idle } : {}),
      ...(typeof h.title === 'string' ? { title: h.title } : {}),
    },
    events,
  };
}
