import type { Envelope, EnvelopeInit, TerminalOpen } from '@guruconnect/protocol';
import { Channel } from '@guruconnect/protocol';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { resolveShellUser } from './shell-user.js';
import type { TerminalExitInfo } from './terminal-channel.js';
import { TerminalChannel } from './terminal-channel.js';

export interface TerminalManagerOptions {
  /** Sends one message to the relay; terminal messages carry the viewer's id. Required. */
  send: (message: EnvelopeInit) => boolean;
  /** Serve terminals at all. Default true; false refuses every TerminalOpen. */
  enabled?: boolean;
  /** User the shells run as. Default the agent's own user. Needs root to differ from it. */
  user?: string;
  /** Shell program. Default `$SHELL` (own user), else the passwd entry's shell, else /bin/sh. */
  shell?: string;
  /** Allow shells running as root (uid 0). Default false: refused with a TerminalExit saying why. */
  allowRootShell?: boolean;
  /** Unacknowledged output bytes per terminal before its PTY is paused. Default 262 144; bounds 4 096–16 777 216. */
  windowBytes?: number;
  /** SIGHUP → SIGKILL delay when a terminal is closed, ms. Default 2000; bounds 0–2000. */
  killGraceMs?: number;
  /** Terminals open at once, over all viewers. Default 8; bounds 1–64. */
  maxTerminals?: number;
  /** passwd file. Default /etc/passwd. */
  passwdPath?: string;
  logger?: Logger;
}

/** One open terminal, as {@link TerminalManager.terminals} lists it. */
export interface TerminalInfo {
  viewerId: string;
  channelId: number;
  /** The shell's pid (its session and process-group id). */
  pid: number;
}

type Payload = Envelope['payload'];

/**
 * The agent's terminals: opens a {@link TerminalChannel} per (viewer, channel id) on
 * `TerminalOpen`, routes input, resizes and acks to it, sends its output as `TerminalData` and
 * its end as `TerminalExit` addressed to that viewer. A viewer that leaves loses its terminals;
 * {@link closeAll} and {@link close} end them all (whole process trees, SIGHUP then SIGKILL).
 */
export class TerminalManager {
  readonly #options: TerminalManagerOptions;
  readonly #logger: Logger;
  readonly #max: number;
  readonly #allowed = new Set<string>();
  readonly #open = new Map<string, { viewerId: string; channelId: number; channel: TerminalChannel }>();
  #closed = false;

  constructor(options: TerminalManagerOptions) {
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#max = Math.min(64, Math.max(1, Math.floor(options.maxTerminals ?? 8)));
  }

  /** Open terminals. */
  get terminals(): TerminalInfo[] {
    return [...this.#open.values()].map((t) => ({
      viewerId: t.viewerId,
      channelId: t.channelId,
      pid: t.channel.pid,
    }));
  }

  /** The relay announced a viewer; it may open terminals when its channels include TERMINAL (or are unspecified). */
  viewerJoined(viewerId: string, channels: readonly Channel[]): void {
    if (channels.length === 0 || channels.includes(Channel.TERMINAL)) this.#allowed.add(viewerId);
  }

  /** The viewer left: its terminals are hung up. */
  async viewerLeft(viewerId: string): Promise<void> {
    this.#allowed.delete(viewerId);
    const mine = [...this.#open.values()].filter((t) => t.viewerId === viewerId);
    await Promise.all(mine.map((t) => t.channel.close('the viewer left')));
  }

  /** Handles a terminal message from `viewerId`; returns false for any other kind. */
  handle(viewerId: string, payload: Payload): boolean {
    switch (payload.case) {
      case 'terminalOpen':
        this.#openTerminal(viewerId, payload.value);
        return true;
      case 'terminalData':
        this.#find(viewerId, payload.value.channelId)?.write(payload.value.data);
        return true;
      case 'terminalResize':
        this.#find(viewerId, payload.value.channelId)?.resize(payload.value.cols, payload.value.rows);
        return true;
      case 'terminalAck':
        this.#find(viewerId, payload.value.channelId)?.ack(Number(payload.value.bytesConsumed));
        return true;
      case 'terminalExit':
        // The viewer closes its terminal (when the protocol lets viewers send it).
        void this.#find(viewerId, payload.value.channelId)?.close('the technician closed the terminal');
        return true;
      default:
        return false;
    }
  }

  /** Ends every terminal (e.g. the relay connection was lost). */
  async closeAll(reason: string): Promise<void> {
    this.#allowed.clear();
    await Promise.all([...this.#open.values()].map((t) => t.channel.close(reason)));
  }

  /** Ends every terminal and refuses new ones. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.closeAll('the agent is stopping');
  }

  #find(viewerId: string, channelId: number): TerminalChannel | undefined {
    return this.#open.get(key(viewerId, channelId))?.channel;
  }

  #refuse(viewerId: string, channelId: number, reason: string): void {
    this.#logger.warn('terminal refused', { viewerId, channelId, reason });
    this.#options.send({
      viewerId,
      payload: { case: 'terminalExit', value: { channelId, exitCode: -1, signal: 0, reason } },
    });
  }

  #openTerminal(viewerId: string, open: TerminalOpen): void {
    const refusal = this.#start(viewerId, open);
    if (refusal !== undefined) this.#refuse(viewerId, open.channelId, refusal);
  }

  /** Starts the terminal; returns why it was refused, or undefined. */
  #start(viewerId: string, open: TerminalOpen): string | undefined {
    const { channelId } = open;
    if (this.#closed) return 'the agent is stopping';
    if (this.#options.enabled === false) {
      return 'terminal access is disabled on this agent';
    }
    if (!this.#allowed.has(viewerId)) {
      return 'this viewer may not open a terminal';
    }
    if (this.#open.has(key(viewerId, channelId))) {
      this.#logger.warn('terminal already open; TerminalOpen ignored', { viewerId, channelId });
      return undefined;
    }
    if (this.#open.size >= this.#max) {
      return `too many terminals are open (at most ${this.#max})`;
    }
    let channel: TerminalChannel;
    try {
      const user = resolveShellUser({
        ...(this.#options.user === undefined ? {} : { user: this.#options.user }),
        ...(this.#options.shell === undefined ? {} : { shell: this.#options.shell }),
        ...(this.#options.passwdPath === undefined ? {} : { passwdPath: this.#options.passwdPath }),
        allowRoot: this.#options.allowRootShell === true,
      });
      channel = new TerminalChannel({
        user,
        cols: open.cols,
        rows: open.rows,
        term: open.term,
        ...(this.#options.windowBytes === undefined ? {} : { windowBytes: this.#options.windowBytes }),
        ...(this.#options.killGraceMs === undefined ? {} : { killGraceMs: this.#options.killGraceMs }),
        onData: (data) => {
          this.#options.send({ viewerId, payload: { case: 'terminalData', value: { channelId, data } } });
        },
        onExit: (exit) => this.#exited(viewerId, channelId, exit),
      });
      this.#logger.info('terminal opened', {
        viewerId,
        channelId,
        user: user.name,
        shell: user.shell,
        pid: channel.pid,
      });
    } catch (error) {
      return (error as Error).message;
    }
    this.#open.set(key(viewerId, channelId), { viewerId, channelId, channel });
    return undefined;
  }

  #exited(viewerId: string, channelId: number, exit: TerminalExitInfo): void {
    this.#open.delete(key(viewerId, channelId));
    this.#logger.info('terminal ended', { viewerId, channelId, ...exit });
    if (!this.#allowed.has(viewerId)) return; // nobody to tell
    this.#options.send({ viewerId, payload: { case: 'terminalExit', value: { channelId, ...exit } } });
  }
}

function key(viewerId: string, channelId: number): string {
  return `${viewerId}\u0000${channelId}`;
}
