import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import type { Readable } from 'node:stream';

/** A real X server (Xvfb) with a solid background and an `xev` window recording input. */
export class DesktopFixture {
  readonly display: string;
  readonly #xvfb: ChildProcess;
  #xev: ChildProcess | undefined;
  #xevOutput = '';

  private constructor(display: string, xvfb: ChildProcess) {
    this.display = display;
    this.#xvfb = xvfb;
  }

  /** Starts Xvfb on a free display number (it picks one and reports it on a pipe). */
  static async start(width = 1024, height = 768): Promise<DesktopFixture> {
    // -noreset: the server must not reset (and lose the root colour) when a client disconnects.
    const xvfb = spawn(
      'Xvfb',
      ['-displayfd', '3', '-noreset', '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp'],
      {
        stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      },
    );
    const pipe = xvfb.stdio[3] as Readable | null;
    if (!pipe) throw new Error('Xvfb gave no display pipe');
    let text = '';
    for await (const chunk of pipe) {
      text += String(chunk);
      if (text.includes('\n')) break;
    }
    const display = `:${text.trim()}`;
    return new DesktopFixture(display, xvfb);
  }

  /** Paints the root window one colour (`#rrggbb`). */
  paintRoot(colour: string): void {
    execFileSync('xsetroot', ['-solid', colour], {
      env: { ...process.env, DISPLAY: this.display },
      timeout: 5000,
    });
  }

  /** Opens an `xev` window at (x, y) of size w×h; its output records clicks and keys. */
  async openRecorder(x: number, y: number, w: number, h: number): Promise<void> {
    const xev = spawn('xev', ['-geometry', `${w}x${h}+${x}+${y}`, '-event', 'keyboard', '-event', 'button'], {
      env: { ...process.env, DISPLAY: this.display },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    xev.stdout?.on('data', (chunk) => {
      this.#xevOutput += String(chunk);
    });
    this.#xev = xev;
    // Wait until the window is mapped (xev prints nothing for it with these masks), so poll xwininfo.
    for (let i = 0; i < 50; i++) {
      try {
        const tree = execFileSync('xwininfo', ['-root', '-tree'], {
          env: { ...process.env, DISPLAY: this.display },
          encoding: 'utf8',
        });
        if (/"Event Tester"/.test(tree)) return;
      } catch (err) {
        if (i === 49) throw err;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('xev window did not appear');
  }

  /** Button presses the recorder saw, in root (screen) coordinates. */
  clicks(): { x: number; y: number; button: number }[] {
    return [
      ...this.#xevOutput.matchAll(/ButtonPress event[\s\S]*?root:\((\d+),(\d+)\)[\s\S]*?button (\d+)/g),
    ].map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      button: Number(m[3]),
    }));
  }

  /** Keysym names of the key presses the recorder saw, e.g. ['h', 'i']. */
  keys(): string[] {
    return [...this.#xevOutput.matchAll(/KeyPress event[\s\S]*?keysym 0x[0-9a-f]+, ([^)]+)\)/g)].map(
      (m) => m[1] as string,
    );
  }

  async close(): Promise<void> {
    for (const child of [this.#xev, this.#xvfb]) {
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }
}
