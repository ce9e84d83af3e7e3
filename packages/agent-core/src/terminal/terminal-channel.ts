import { existsSync } from 'node:fs';
import os from 'node:os';
import type { IPty } from 'node-pty';
import { spawn } from 'node-pty';
import { killTerminalTree } from './process-tree.js';
import type { ShellUser } from './shell-user.js';
import { TerminalError, TerminalErrorCode } from './terminal-error.js';

/** How a terminal ended. */
export interface TerminalExitInfo {
  /** The shell's exit code; -1 when it was killed or never started. */
  exitCode: number;
  /** The signal that ended the shell, 0 if none. */
  signal: number;
  /** Human-readable reason, shown to the technician. */
  reason: string;
}

export interface TerminalChannelOptions {
  /** Who the shell runs as and which shell (see resolveShellUser). Required. */
  user: ShellUser;
  /** Columns. Default 80; bounds 1–1000. */
  cols?: number;
  /** Rows. Default 24; bounds 1–500. */
  rows?: number;
  /** `TERM`. Default `xterm-256color`; anything but `[A-Za-z0-9._+-]{1,64}` falls back to it. */
  term?: string;
  /**
   * Output bytes that may be unacknowledged before the PTY is paused. Default 262 144 (256 KiB);
   * bounds 4 096–16 777 216. Reading resumes once the unacknowledged bytes fall to half of it.
   * At most one PTY read (≤ 64 KiB) more than this is ever outstanding.
   */
  windowBytes?: number;
  /** Largest output chunk handed to `onData`. Default 65 536; bounds 1 024–1 048 576. */
  chunkBytes?: number;
  /** Between SIGHUP and SIGKILL when the terminal is closed, in ms. Default 2000; bounds 0–2000. */
  killGraceMs?: number;
  /** Extra environment for the shell (on top of HOME, USER, LOGNAME, SHELL, PATH, TERM, LANG). */
  env?: Record<string, string>;
  /** Receives the shell's output, in order, never more than `chunkBytes` at a time. Required. */
  onData: (chunk: Uint8Array) => void;
  /** Called once when the terminal has ended (the shell exited or close() finished). Required. */
  onExit: (exit: TerminalExitInfo) => void;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function clamp(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value) || value <= 0) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

/** Traffic of one terminal channel. */
export interface TerminalChannelStats {
  /** Output bytes handed to `onData`. */
  sent: number;
  /** Output bytes the viewer has acknowledged. */
  acknowledged: number;
  /** Whether the PTY is paused waiting for acknowledgements. */
  paused: boolean;
  /** How many times the PTY was paused. */
  pauses: number;
}

/**
 * One PTY running a login shell (`shell -l`) for one viewer. Output flows to `onData` and is
 * paced by {@link ack}: past `windowBytes` unacknowledged the PTY stops being read, so the
 * kernel's PTY buffer fills and the producing program blocks in write() — output is never
 * dropped and never queued here without bound. {@link close} hangs up the whole terminal
 * (session, process groups and descendants: SIGHUP, then SIGKILL after `killGraceMs`).
 */
export class TerminalChannel {
  readonly #options: TerminalChannelOptions;
  readonly #pty: IPty;
  readonly #window: number;
  readonly #chunk: number;
  readonly #graceMs: number;
  readonly #stats: TerminalChannelStats = { sent: 0, acknowledged: 0, paused: false, pauses: 0 };
  #closing: Promise<void> | undefined;
  #exitReason: string | undefined;
  #exited = false;
  /** Set by close(): output read from now on has nobody to go to. */
  #discard = false;
  #shellExit: { exitCode: number; signal: number } | undefined;
  #resolveShellExit!: () => void;
  readonly #shellExitSeen = new Promise<void>((resolve) => {
    this.#resolveShellExit = resolve;
  });
  readonly #done: Promise<TerminalExitInfo>;
  #resolveDone!: (exit: TerminalExitInfo) => void;

  constructor(options: TerminalChannelOptions) {
    this.#options = options;
    this.#window = clamp(options.windowBytes, 262_144, 4096, 16_777_216);
    this.#chunk = clamp(options.chunkBytes, 65_536, 1024, 1_048_576);
    this.#graceMs = Math.min(2000, Math.max(0, options.killGraceMs ?? 2000));
    this.#done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
    const { user } = options;
    const term = /^[A-Za-z0-9._+-]{1,64}$/.test(options.term ?? '') ? options.term! : 'xterm-256color';
    const self = os.userInfo();
    try {
      this.#pty = spawn(user.shell, ['-l'], {
        name: term,
        cols: clamp(options.cols, 80, 1, 1000),
        rows: clamp(options.rows, 24, 1, 500),
        cwd: existsSync(user.home) ? user.home : '/',
        // A clean environment: nothing of the agent's (which may hold its key) leaks into the shell.
        env: {
          HOME: user.home,
          USER: user.name,
          LOGNAME: user.name,
          SHELL: user.shell,
          PATH: DEFAULT_PATH,
          LANG: process.env.LANG ?? 'C.UTF-8',
          COLORTERM: 'truecolor',
          ...options.env,
          TERM: term,
        },
        encoding: null,
        ...(user.uid === self.uid ? {} : { uid: user.uid, gid: user.gid }),
      });
    } catch (cause) {
      throw new TerminalError(TerminalErrorCode.Spawn, `cannot start ${user.shell}: ${String(cause)}`, {
        cause,
      });
    }
    // With `encoding: null` node-pty delivers Buffers (its typings say string).
    this.#pty.onData((data) => this.#output(data as unknown as Buffer));
    this.#pty.onExit(({ exitCode, signal }) => this.#shellExited(exitCode, signal ?? 0));
  }

  /** The shell's pid (also its session and process group id). */
  get pid(): number {
    return this.#pty.pid;
  }

  get stats(): Readonly<TerminalChannelStats> {
    return { ...this.#stats };
  }

  /** Resolves once the terminal has ended and every process of it is gone. */
  get done(): Promise<TerminalExitInfo> {
    return this.#done;
  }

  /** Types `data` into the terminal. Ignored once closing. */
  write(data: Uint8Array): void {
    if (this.#closing !== undefined || this.#exited) return;
    this.#pty.write(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  /** Resizes the PTY (the foreground program gets SIGWINCH). Out-of-range sizes are clamped. */
  resize(cols: number, rows: number): void {
    if (this.#closing !== undefined || this.#exited) return;
    this.#pty.resize(clamp(cols, 80, 1, 1000), clamp(rows, 24, 1, 500));
  }

  /** The viewer has consumed `bytesConsumed` output bytes in total (cumulative, so acks may be lost or merged). */
  ack(bytesConsumed: number): void {
    const consumed = Math.min(this.#stats.sent, bytesConsumed);
    if (consumed <= this.#stats.acknowledged) return;
    this.#stats.acknowledged = consumed;
    if (this.#stats.paused && this.#stats.sent - consumed <= this.#window / 2) {
      this.#stats.paused = false;
      this.#pty.resume();
    }
  }

  /** Hangs up the terminal and kills every process of it; resolves when they are gone. Idempotent. */
  close(reason = 'the terminal was closed'): Promise<void> {
    this.#discard = true;
    this.#closing ??= this.#hangUp(reason);
    return this.#closing;
  }

  #output(data: Buffer): void {
    if (this.#discard) return; // the viewer is gone; the rest is discarded with the shell
    for (let at = 0; at < data.length; at += this.#chunk) {
      this.#options.onData(
        new Uint8Array(data.buffer, data.byteOffset + at, Math.min(this.#chunk, data.length - at)),
      );
    }
    this.#stats.sent += data.length;
    if (!this.#stats.paused && this.#stats.sent - this.#stats.acknowledged > this.#window) {
      this.#stats.paused = true;
      this.#stats.pauses++;
      this.#pty.pause();
    }
  }

  async #hangUp(reason: string): Promise<void> {
    this.#exitReason ??= reason;
    // A paused PTY would never see its end of file: read from now on.
    if (this.#stats.paused) this.#pty.resume();
    this.#stats.paused = false;
    let survivors: number[];
    try {
      survivors = await killTerminalTree(this.#pty.pid, this.#graceMs);
    } catch (error) {
      // /proc unreadable or a signal refused for another reason: the shell itself still goes.
      survivors = [];
      this.#exitReason = `${this.#exitReason} (could not end all its processes: ${String(error)})`;
      this.#killShell();
    }
    if (survivors.length > 0) {
      this.#exitReason = `${this.#exitReason} (${survivors.length} process(es) could not be killed: ${survivors.join(', ')})`;
    }
    if (this.#shellExit === undefined) {
      // node-pty reports the exit once its socket has closed (at most 200 ms after the kill).
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#shellExitSeen, new Promise((r) => (timer = setTimeout(r, 1000)))]);
      clearTimeout(timer);
    }
    const { exitCode, signal } = this.#shellExit ?? { exitCode: -1, signal: 9 };
    this.#finish(exitCode, signal);
  }

  #killShell(): void {
    try {
      process.kill(this.#pty.pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
        this.#exitReason = `${this.#exitReason} (the shell could not be killed: ${String(error)})`;
      }
    }
  }

  #shellExited(exitCode: number, signal: number): void {
    if (this.#shellExit !== undefined) return;
    this.#shellExit = { exitCode, signal };
    this.#resolveShellExit();
    if (this.#closing === undefined) {
      // The shell ended by itself: hang up whatever it left behind (background jobs), and read
      // what it wrote last (at most the kernel's PTY buffer) even if the viewer is behind.
      const reason =
        signal !== 0 ? `the shell was killed by signal ${signal}` : `the shell exited (code ${exitCode})`;
      this.#closing = this.#hangUp(reason);
    }
  }

  #finish(exitCode: number, signal: number): void {
    if (this.#exited) return;
    this.#exited = true;
    const exit = { exitCode, signal, reason: this.#exitReason ?? 'the terminal ended' };
    this.#options.onExit(exit);
    this.#resolveDone(exit);
  }
}
