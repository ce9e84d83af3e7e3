import type { ChildProcess } from 'node:child_process';
import type { Xvfb } from './xvfb.js';

export interface RecordedEvent {
  kind: 'KeyPress' | 'KeyRelease' | 'ButtonPress' | 'ButtonRelease';
  keysym?: number;
  button?: number;
  rootX?: number;
  rootY?: number;
}

/**
 * A real X client that records what it receives: `xev` (x11-utils) with its window at a known
 * place, its output parsed into events. Line-buffered through stdbuf so events arrive as they
 * happen.
 */
export class XevRecorder {
  readonly events: RecordedEvent[] = [];
  readonly #child: ChildProcess;
  #buffer = '';

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.stdout?.on('data', (chunk: Buffer) => {
      this.#buffer += chunk.toString();
      // Each event starts with an unindented "<Name> event, serial …" line.
      const lines = this.#buffer.split('\n');
      this.#buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (/^\S.* event, serial/.test(line)) this.#flush();
        this.#block += `${line}\n`;
        // Key events end with the XFilterEvent line, button events with their button line.
        if (/XFilterEvent returns|button \d+, same_screen/.test(line)) this.#flush();
      }
    });
  }

  #block = '';

  #flush(): void {
    if (this.#block !== '') this.#parse(this.#block);
    this.#block = '';
  }

  static async start(xvfb: Xvfb, geometry: string): Promise<XevRecorder> {
    const child = xvfb.spawn('stdbuf', [
      '-oL',
      'xev',
      '-geometry',
      geometry,
      '-event',
      'keyboard',
      '-event',
      'button',
    ]);
    const recorder = new XevRecorder(child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('xev did not start')), 10_000);
      const onData = (chunk: Buffer): void => {
        if (chunk.toString().includes('Outer window is')) {
          clearTimeout(timer);
          child.stdout?.off('data', onData);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => reject(new Error(`xev exited with ${code}`)));
    });
    return recorder;
  }

  async waitFor(predicate: (events: RecordedEvent[]) => boolean, timeoutMs = 5000): Promise<void> {
    const start = Date.now();
    while (!predicate(this.events)) {
      if (Date.now() - start > timeoutMs) {
        throw new Error(`xev did not see the expected events; saw ${JSON.stringify(this.events)}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  #parse(block: string): void {
    const kind = /^(KeyPress|KeyRelease|ButtonPress|ButtonRelease) event/m.exec(block)?.[1];
    if (kind === undefined) return;
    const event: RecordedEvent = { kind: kind as RecordedEvent['kind'] };
    const keysym = /keysym (0x[0-9a-f]+)/.exec(block);
    if (keysym?.[1] !== undefined) event.keysym = Number.parseInt(keysym[1], 16);
    const button = /button (\d+)/.exec(block);
    if (button?.[1] !== undefined) event.button = Number(button[1]);
    const root = /root:\((-?\d+),(-?\d+)\)/.exec(block);
    if (root?.[1] !== undefined && root[2] !== undefined) {
      event.rootX = Number(root[1]);
      event.rootY = Number(root[2]);
    }
    this.events.push(event);
  }

  close(): void {
    this.#child.kill('SIGKILL');
  }
}
