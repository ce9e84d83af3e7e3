import { AgentError, AgentErrorCode } from '../agent-error.js';
import { forgetXErrors, type Ptr, takeXError, type Xlib, xlib } from './xlib.js';

export interface X11ConnectionOptions {
  /** X display name, e.g. `:0`. Default `process.env.DISPLAY`; required when that is unset. */
  display?: string;
}

/**
 * One Xlib connection (`Display *`). Every X request in agent-core goes through one of these so
 * that errors are checked the same way and the connection is closed exactly once.
 */
export class X11Connection {
  readonly lib: Xlib;
  readonly handle: Ptr;
  readonly name: string;
  readonly screen: number;
  readonly root: number;
  #closed = false;

  constructor(options: X11ConnectionOptions = {}) {
    const name = options.display ?? process.env.DISPLAY;
    if (name === undefined || name === '') {
      throw new AgentError(
        AgentErrorCode.NoDisplay,
        'no X display: DISPLAY is not set and --display was not given (without one, run terminal-only: --terminal-only, or leave out --require-display)',
      );
    }
    this.lib = xlib();
    const handle = this.lib.XOpenDisplay(name);
    if (handle === null || handle === 0n) {
      throw new AgentError(
        AgentErrorCode.NoDisplay,
        `cannot open X display ${name} (is the X server running and is access allowed? Without a display, run terminal-only: --terminal-only, or leave out --require-display)`,
      );
    }
    this.handle = handle;
    this.name = name;
    this.screen = this.lib.XDefaultScreen(handle);
    this.root = this.lib.XDefaultRootWindow(handle);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Width and height of the default screen (the root window) in pixels. */
  screenSize(): { width: number; height: number } {
    return {
      width: this.lib.XDisplayWidth(this.handle, this.screen),
      height: this.lib.XDisplayHeight(this.handle, this.screen),
    };
  }

  /** The X connection's socket, for readiness polling. */
  fd(): number {
    return this.lib.XConnectionNumber(this.handle);
  }

  /**
   * Round-trips to the server and throws the first X error raised by the requests issued since
   * the last check (errors are asynchronous in X; this makes them belong to `what`).
   */
  check(what: string): void {
    this.assertOpen();
    this.lib.XSync(this.handle, 0);
    const error = takeXError(this.handle);
    if (error !== undefined) {
      throw new AgentError(
        AgentErrorCode.X11Request,
        `${what} failed: ${error.text} (X error ${error.errorCode}, request ${error.requestCode}.${error.minorCode})`,
      );
    }
  }

  /** The pending X error, if any, without a round trip. */
  takeError(): string | undefined {
    return takeXError(this.handle)?.text;
  }

  assertOpen(): void {
    if (this.#closed) throw new AgentError(AgentErrorCode.Closed, 'the X connection is closed');
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.lib.XCloseDisplay(this.handle);
    forgetXErrors(this.handle);
  }
}
