import type { EnvelopeInit, VideoFrame } from '@guruconnect/protocol';
import { AgentError, AgentErrorCode } from './agent-error.js';
import type { AgentOptions } from './agent-options.js';
import type { ScreenCapturer } from './capture/screen-capturer.js';
import { X11ScreenCapturer } from './capture/x11-screen-capturer.js';
import type { InputInjector } from './input/input-injector.js';
import { ViewerInput } from './input/viewer-input.js';
import { X11InputInjector } from './input/x11-input-injector.js';
import type { Logger } from './logger.js';
import { CursorTracker } from './stream/cursor-tracker.js';
import { ScreenStreamer } from './stream/screen-streamer.js';

/** The agent's screen side: capture, streaming, cursor and input of one X display. */
export interface Desktop {
  capturer: ScreenCapturer;
  injector: InputInjector;
  input: ViewerInput;
  streamer: ScreenStreamer;
  cursor: CursorTracker;
  /** What this desktop opened itself (not passed in the options), closed last, in reverse. */
  owned: Array<{ close(): void }>;
}

export interface DesktopHooks {
  logger: Logger;
  /** Hands a message to the relay connection (`viewerId` set for one viewer). */
  send(message: EnvelopeInit): void;
}

/** X capture and input, or undefined when the display is unreachable in 'auto' mode. */
export function openDesktop(options: AgentOptions, hooks: DesktopHooks): Desktop | undefined {
  const display = options.display === undefined ? {} : { display: options.display };
  const owned: Array<{ close(): void }> = [];
  const own = <T extends { close(): void }>(resource: T): T => {
    owned.push(resource);
    return resource;
  };
  let capturer: ScreenCapturer;
  let injector: InputInjector;
  try {
    capturer =
      options.capturer ??
      own(
        new X11ScreenCapturer({
          ...display,
          useShm: options.useShm ?? true,
          useDamage: options.useDamage ?? true,
        }),
      );
    injector = options.injector ?? own(new X11InputInjector(display));
  } catch (error) {
    for (const o of owned) o.close();
    const unreachable =
      error instanceof AgentError &&
      (error.code === AgentErrorCode.NoDisplay || error.code === AgentErrorCode.X11Unavailable);
    if (options.terminalOnly === 'auto' && unreachable) {
      hooks.logger.info('no X display reachable: running terminal-only', { reason: error.message });
      return undefined;
    }
    throw error;
  }
  const onError = (error: unknown): void =>
    hooks.logger.error('screen streaming failed', { error: String(error) });
  return {
    capturer,
    injector,
    input: new ViewerInput({ injector }),
    streamer: new ScreenStreamer({
      capturer,
      // The connection encodes the envelope synchronously: payload buffers can be reused.
      send: (frame: VideoFrame, viewerId) =>
        hooks.send({ viewerId, payload: { case: 'videoFrame', value: frame } }),
      reusePayloads: true,
      onError,
      ...(options.fps === undefined ? {} : { fps: options.fps }),
      ...(options.window === undefined ? {} : { window: options.window }),
      ...(options.zstdLevel === undefined ? {} : { zstdLevel: options.zstdLevel }),
      ...(options.codec === undefined ? {} : { codec: options.codec }),
      ...(options.jpegQuality === undefined ? {} : { jpegQuality: options.jpegQuality }),
      ...(options.scrollDetection === undefined ? {} : { scrollDetection: options.scrollDetection }),
      logger: hooks.logger,
    }),
    cursor: new CursorTracker({
      capturer,
      send: (message, viewerId) => hooks.send({ ...message, viewerId }),
      onError,
    }),
    owned,
  };
}
