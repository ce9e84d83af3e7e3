// Public surface of @guruconnect/viewer-element: the element, its registration, its events,
// and the keysyms integrators pass to sendKeys().

// For other libraries: the asciicast v2 reader the playback mode uses.
export type { Asciicast, AsciicastEvent, AsciicastHeader } from './asciicast.js';
export { parseAsciicast } from './asciicast.js';
export type { ConnectionState, ConnectionStateKind } from './connection-state.js';
export { CONNECTION_TRANSITIONS } from './connection-state.js';
export { defineGcViewer, GC_VIEWER_TAG } from './define-gc-viewer.js';
export type { ViewerMode } from './gc-viewer.js';
export { GcViewer } from './gc-viewer.js';
export type { KeyLike } from './keysym-map.js';
export { keysymForCodePoint, keysymForKey } from './keysym-map.js';
export { CTRL_ALT_DEL, Keysym } from './keysyms.js';
export { VIEWER_VERSION } from './session-controller.js';
export { ViewerError, ViewerErrorCode } from './viewer-error.js';
export {
  ConnectedEvent,
  ConsentDeclinedEvent,
  ConsentGrantedEvent,
  ConsentPendingEvent,
  DisconnectedEvent,
  DisplaysChangedEvent,
  PlaybackStateEvent,
  ResizeEvent,
  TerminalExitEvent,
  ViewerErrorEvent,
} from './viewer-events.js';
