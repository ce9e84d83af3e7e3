/** A rectangle in pixels. */
export interface PixelRect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** One monitor the agent can stream; coordinates are in the screen (root window) space. */
export interface DisplayInfo extends PixelRect {
  /** Stable id while the monitor layout is unchanged (the RandR monitor name). */
  id: string;
  name: string;
  primary: boolean;
}

/**
 * Pixels of one capture: BGRA, 4 bytes per pixel, row `r` starts at `r * stride`.
 * `data` may be a view into memory the capturer reuses: it is valid only until the next
 * `capture()` call on the same capturer — copy what you keep.
 */
export interface CapturedImage {
  width: number;
  height: number;
  stride: number;
  data: Uint8Array;
}

/** Cursor image, RGBA non-premultiplied. */
export interface CursorImage {
  serial: string;
  width: number;
  height: number;
  hotX: number;
  hotY: number;
  rgba: Uint8Array;
}

/**
 * Screen capture behind a platform-neutral interface (X11 today; GDI/DXGI and macOS later).
 * Damage rectangles are in screen coordinates; listeners are called outside any capture call.
 */
export interface ScreenCapturer {
  /** Which backend and mode is in use, e.g. `x11-shm`, `x11-getimage`. */
  readonly backend: string;
  /** True when the platform reports damage; false means the capturer polls. */
  readonly damageEvents: boolean;
  displays(): DisplayInfo[];
  /** Captures `rect` (display coordinates, default the whole display) of display `displayId`. */
  capture(displayId: string, rect?: PixelRect): CapturedImage;
  /** Subscribes to screen damage; returns the unsubscribe function. */
  onDamage(listener: (rects: PixelRect[]) => void): () => void;
  /**
   * Delivers, synchronously, damage the platform has already queued (to the `onDamage`
   * listeners). Optional: capturers whose damage cannot be polled leave it out.
   */
  pollDamage?(): void;
  /** Subscribes to cursor image changes; returns the unsubscribe function. */
  onCursorChange(listener: () => void): () => void;
  cursorImage(): CursorImage | undefined;
  /** Pointer position in screen coordinates. */
  cursorPosition(): { x: number; y: number } | undefined;
  /**
   * `capture` without holding up the event loop while the platform copies the pixels (a busy X
   * server can take milliseconds for a large area). One call at a time; the image stays valid
   * until the next `captureAsync`. Optional.
   */
  captureAsync?(displayId: string, rect: PixelRect): Promise<CapturedImage>;
  /** `cursorPosition` without holding up the event loop. Optional. */
  cursorPositionAsync?(): Promise<{ x: number; y: number } | undefined>;
  /** Releases the display connection, shared memory, timers and watchers. Idempotent. */
  close(): void;
}
