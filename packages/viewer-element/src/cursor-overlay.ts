import type { CursorPosition, CursorShape } from '@guruconnect/protocol';

/** Largest cursor image accepted, per side in pixels; bigger shapes are ignored. */
export const MAX_CURSOR_SIDE = 256;

/**
 * Draws the remote cursor on its own small canvas laid over the screen. Position and size are
 * set in percent of the display, so the overlay stays right in `fit` and `actual` scale
 * without being told the CSS scale. The hotspot is subtracted, so the image's hotspot pixel
 * sits on the reported pointer position.
 */
export class CursorOverlay {
  readonly #canvas: HTMLCanvasElement;
  #hotX = 0;
  #hotY = 0;
  #x = 0;
  #y = 0;
  #visible = false;
  #hasShape = false;
  #displayWidth = 0;
  #displayHeight = 0;

  constructor(canvas: HTMLCanvasElement) {
    this.#canvas = canvas;
    this.#apply();
  }

  /** Replaces the cursor image. Returns false (and keeps the old one) for an invalid shape. */
  setShape(shape: CursorShape): boolean {
    const { width, height } = shape;
    if (width === 0 || height === 0 || width > MAX_CURSOR_SIDE || height > MAX_CURSOR_SIDE) return false;
    if (shape.rgba.byteLength !== width * height * 4) return false;
    const ctx = this.#canvas.getContext('2d');
    if (ctx === null) return false;
    this.#canvas.width = width;
    this.#canvas.height = height;
    const image = new ImageData(width, height);
    image.data.set(shape.rgba);
    ctx.putImageData(image, 0, 0);
    this.#hotX = Math.min(shape.hotX, width - 1);
    this.#hotY = Math.min(shape.hotY, height - 1);
    this.#hasShape = true;
    this.#apply();
    return true;
  }

  setPosition(position: CursorPosition): void {
    this.#x = position.x;
    this.#y = position.y;
    this.#visible = position.visible;
    this.#apply();
  }

  setDisplaySize(width: number, height: number): void {
    this.#displayWidth = width;
    this.#displayHeight = height;
    this.#apply();
  }

  hide(): void {
    this.#visible = false;
    this.#apply();
  }

  #apply(): void {
    const style = this.#canvas.style;
    const shown = this.#visible && this.#hasShape && this.#displayWidth > 0 && this.#displayHeight > 0;
    style.display = shown ? 'block' : 'none';
    if (!shown) return;
    const w = this.#displayWidth;
    const h = this.#displayHeight;
    style.left = `${((this.#x - this.#hotX) / w) * 100}%`;
    style.top = `${((this.#y - this.#hotY) / h) * 100}%`;
    style.width = `${(this.#canvas.width / w) * 100}%`;
    style.height = `${(this.#canvas.height / h) * 100}%`;
  }
}
