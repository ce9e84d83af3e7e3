import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { TextDecoder } from 'node:util';
import type { TerminalTap } from '@guruconnect/relay-core';
import type { ServerKit } from '@guruconnect/server-kit';
import type { Logger } from './logger.js';

export interface TerminalRecorderOptions {
  /** Directory for the .cast files (created if missing). */
  dir: string;
  kit: ServerKit;
  logger: Logger;
  /** The user behind a viewer, when the relay knows it. */
  userOf?: (sessionId: string, viewerId: string) => string | undefined;
}

interface Recording {
  file: WriteStream;
  fileName: string;
  started: Promise<string | undefined>;
  startMs: number;
  decoder: TextDecoder;
  bytes: number;
}

/**
 * Records every terminal channel as an asciicast v2 file (the format asciinema plays): a JSON
 * header line, then `[seconds, "o", text]` output and `[seconds, "r", "COLSxROWS"]` resize
 * events, one per line, so a file cut short by a crash is still valid up to its last line.
 * Output is decoded as a UTF-8 stream: multibyte characters split across frames are joined;
 * bytes that are not UTF-8 become U+FFFD (asciicast holds text, not bytes).
 */
export class TerminalRecorder {
  readonly #options: TerminalRecorderOptions;
  readonly #open = new Map<string, Recording>();

  constructor(options: TerminalRecorderOptions) {
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    this.#options = options;
  }

  /** The relay's terminal tap. Synchronous and cheap: file writes and DB calls are queued. */
  readonly onTap = (tap: TerminalTap): void => {
    const key = `${tap.sessionId}/${tap.viewerId}/${tap.channelId}`;
    let rec = this.#open.get(key);
    if (tap.kind === 'open' || rec === undefined) {
      if (rec !== undefined) this.#finish(key, rec);
      const cols = tap.kind === 'open' || tap.kind === 'resize' ? tap.cols : 80;
      const rows = tap.kind === 'open' || tap.kind === 'resize' ? tap.rows : 24;
      rec = this.#start(tap, cols || 80, rows || 24, tap.kind === 'open' ? tap.term : '');
      this.#open.set(key, rec);
    }
    const at = (tap.at.getTime() - rec.startMs) / 1000;
    switch (tap.kind) {
      case 'output': {
        rec.bytes += tap.data.byteLength;
        const text = rec.decoder.decode(tap.data, { stream: true });
        if (text) this.#line(rec, [at, 'o', text]);
        return;
      }
      case 'resize':
        this.#line(rec, [at, 'r', `${tap.cols}x${tap.rows}`]);
        return;
      case 'exit':
        this.#finish(key, rec);
        return;
      case 'open':
        return;
    }
  };

  /** Closes every recording of a session (it ended). */
  endSession(sessionId: string): void {
    for (const [key, rec] of this.#open) if (key.startsWith(`${sessionId}/`)) this.#finish(key, rec);
  }

  /** Closes every open recording and waits for the files and rows to be complete. */
  async close(): Promise<void> {
    const pending = [...this.#open].map(([key, rec]) => this.#finish(key, rec));
    await Promise.all(pending);
  }

  #start(tap: TerminalTap, cols: number, rows: number, term: string): Recording {
    const fileName = `${tap.sessionId}-${tap.channelId}-${randomUUID().slice(0, 8)}.cast`;
    const file = createWriteStream(join(this.#options.dir, fileName), { flags: 'wx', mode: 0o600 });
    file.on('error', (err) => this.#options.logger.error('recording write failed', { fileName, err }));
    const header = {
      version: 2,
      width: cols,
      height: rows,
      timestamp: Math.floor(tap.at.getTime() / 1000),
      title: `GuruConnect session ${tap.sessionId}`,
      env: { TERM: term || 'xterm-256color' },
    };
    file.write(`${JSON.stringify(header)}\n`);
    const started = this.#options.kit.recordings
      .start({
        sessionId: tap.sessionId,
        machineId: tap.machineId,
        viewerId: tap.viewerId,
        userId: this.#options.userOf?.(tap.sessionId, tap.viewerId),
        channelId: tap.channelId,
        fileName,
      })
      .then(
        (r) => r.recordingId,
        (err: unknown) => {
          this.#options.logger.error('recording metadata failed', { fileName, err });
          return undefined;
        },
      );
    return {
      file,
      fileName,
      started,
      startMs: tap.at.getTime(),
      decoder: new TextDecoder('utf-8'),
      bytes: 0,
    };
  }

  #line(rec: Recording, event: [number, string, string]): void {
    rec.file.write(`${JSON.stringify([Math.round(event[0] * 1e6) / 1e6, event[1], event[2]])}\n`);
  }

  #finish(key: string, rec: Recording): Promise<void> {
    this.#open.delete(key);
    const tail = rec.decoder.decode();
    if (tail) this.#line(rec, [(Date.now() - rec.startMs) / 1000, 'o', tail]);
    const flushed = new Promise<void>((resolve) => rec.file.end(resolve));
    return Promise.all([flushed, rec.started])
      .then(async ([, id]) => {
        if (id !== undefined) await this.#options.kit.recordings.finish(id, rec.bytes);
      })
      .catch((err: unknown) =>
        this.#options.logger.error('recording finish failed', { fileName: rec.fileName, err }),
      );
  }
}
