import type { VideoFrame } from '@guruconnect/protocol';
import type { CursorOverlay } from './cursor-overlay.js';
import type { FramePainter } from './frame-painter.js';
import { ViewerError, ViewerErrorCode } from './viewer-error.js';
import { ResizeEvent } from './viewer-events.js';
import type { ViewerSession } from './viewer-session.js';

/** What the pipeline needs from the session controller around it. */
export interface FramePipelineHost {
  painter(): FramePainter | undefined;
  cursor(): CursorOverlay | undefined;
  /** Whether `session` is still the controller's current one (frames of an old one are dropped). */
  current(session: ViewerSession): boolean;
  /** The display frames are of, as the controller knows it. */
  activeDisplayId(): string;
  /** A frame came from another display than the active one: it is the active one now. */
  displaySwitched(displayId: string): void;
  /** Something shown on screen changed. */
  changed(): void;
  emit(event: Event): void;
  reportError(error: unknown): void;
}

/**
 * The video side of one `<gc-viewer>` connection: paints frames in the order they came, one at a
 * time, follows the display's size, asks the agent for a refresh when the picture may be wrong
 * (a rectangle that failed, a missed stream chunk, an unknown codec, a size change outside a key
 * frame) and acknowledges every frame once painted (acks are the flow control).
 */
export class FramePipeline {
  readonly #host: FramePipelineHost;
  #chain: Promise<void> = Promise.resolve();
  #displaySize: { width: number; height: number } | undefined;

  constructor(host: FramePipelineHost) {
    this.#host = host;
  }

  get displaySize(): { width: number; height: number } | undefined {
    return this.#displaySize;
  }

  /**
   * Before each connection: the painter forgets the display size and the agent's zstd stream.
   * True when it can follow that stream (its decoder runs WebAssembly), so the viewer may
   * announce `codec-zstd-stream`.
   */
  async begin(): Promise<boolean> {
    const painter = this.#host.painter();
    painter?.resetSession();
    return painter !== undefined && (await painter.streamCapable());
  }

  /** Paints `frame` after the frames before it, then acknowledges it on `session`. */
  enqueue(session: ViewerSession, frame: VideoFrame, decodeMs: number): void {
    this.#chain = this.#chain
      .then(() => this.#paint(session, frame, decodeMs))
      .catch((error: unknown) => this.#host.reportError(error));
  }

  async #paint(session: ViewerSession, frame: VideoFrame, decodeMs: number): Promise<void> {
    const host = this.#host;
    const painter = host.painter();
    if (!host.current(session) || painter === undefined) return;
    const refresh = (reason: string): void => {
      session.send({
        payload: { case: 'refreshRequest', value: { displayId: host.activeDisplayId(), reason } },
      });
    };
    const started = performance.now();
    try {
      const result = await painter.paint(frame);
      if (frame.displayId !== '' && frame.displayId !== host.activeDisplayId()) {
        host.displaySwitched(frame.displayId);
      }
      if (result.resized) {
        this.#displaySize = { width: frame.displayWidth, height: frame.displayHeight };
        host.cursor()?.setDisplaySize(frame.displayWidth, frame.displayHeight);
        host.changed();
        host.emit(new ResizeEvent(frame.displayWidth, frame.displayHeight, frame.displayId));
        if (!frame.keyFrame) refresh('the display changed size');
      }
      if (result.streamLost === true) refresh('a stream chunk was missed');
      if (result.unknownCodec !== undefined) {
        host.reportError(
          new ViewerError(
            ViewerErrorCode.UnknownCodec,
            `frame ${frame.sequence} uses unknown codec ${result.unknownCodec}`,
          ),
        );
        refresh(`unknown codec ${result.unknownCodec}`);
      }
    } catch (error) {
      host.reportError(error);
      refresh('a rectangle failed to decode');
    }
    const paintTimeUs = Math.round((decodeMs + performance.now() - started) * 1000);
    // Acknowledge even a frame that failed: acks are cumulative flow control, and the refresh
    // asked for above repairs the picture.
    session.send({
      payload: {
        case: 'frameAck',
        value: { sequence: frame.sequence, captureTimeUs: frame.captureTimeUs, paintTimeUs },
      },
    });
  }
}
