import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface XvfbOptions {
  /** Screen geometry. Default `1280x800x24`. */
  screen?: string;
  /** Extra server arguments, e.g. `['-extension', 'MIT-SHM']`. */
  args?: string[];
  /** Startup deadline in ms. Default 10000. */
  timeoutMs?: number;
}

/** A real Xvfb server on a free display number (chosen by Xvfb through -displayfd). */
export class Xvfb {
  readonly display: string;
  readonly #child: ChildProcess;
  #exited = false;

  private constructor(display: string, child: ChildProcess) {
    this.display = display;
    this.#child = child;
    child.once('exit', () => {
      this.#exited = true;
    });
  }

  static async start(options: XvfbOptions = {}): Promise<Xvfb> {
    const child = spawn(
      'Xvfb',
      [
        '-displayfd',
        '3',
        '-screen',
        '0',
        options.screen ?? '1280x800x24',
        '-nolisten',
        'tcp',
        '-noreset',
        ...(options.args ?? ['+extension', 'MIT-SHM']),
      ],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const display = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`Xvfb did not start in time: ${stderr}`));
      }, options.timeoutMs ?? 10_000);
      const fd3 = child.stdio[3] as NodeJS.ReadableStream;
      fd3.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('\n')) {
          clearTimeout(timer);
          resolve(`:${out.trim()}`);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Xvfb exited with ${code}: ${stderr}`));
      });
    });
    return new Xvfb(display, child);
  }

  /** Runs an X client against this server and returns its stdout. */
  async exec(command: string, args: string[], timeoutMs = 10_000): Promise<string> {
    const { stdout } = await run(command, args, {
      env: { ...process.env, DISPLAY: this.display },
      timeout: timeoutMs,
    });
    return stdout;
  }

  /** Starts a long-running X client (e.g. xterm) bound to this server. */
  spawn(command: string, args: string[]): ChildProcess {
    return spawn(command, args, { env: { ...process.env, DISPLAY: this.display }, stdio: 'pipe' });
  }

  async close(): Promise<void> {
    if (this.#exited) return;
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}
