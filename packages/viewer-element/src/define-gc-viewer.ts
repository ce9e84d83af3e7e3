import { GcViewer } from './gc-viewer.js';

/** Tag name `<gc-viewer>` is registered under. */
export const GC_VIEWER_TAG = 'gc-viewer';

/**
 * Registers `<gc-viewer>`. Idempotent: safe to call from every bundle that uses the element,
 * and a no-op when the tag is already taken (by this or another copy of the package).
 */
export function defineGcViewer(): void {
  if (customElements.get(GC_VIEWER_TAG) === undefined) customElements.define('gc-viewer', GcViewer);
}

declare global {
  interface HTMLElementTagNameMap {
    'gc-viewer': GcViewer;
  }
}
