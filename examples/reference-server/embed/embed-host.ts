import {
  ConnectedEvent,
  ConsentDeclinedEvent,
  ConsentGrantedEvent,
  ConsentPendingEvent,
  DisconnectedEvent,
  type GcViewer,
  ResizeEvent,
  ViewerErrorEvent,
} from '@guruconnect/viewer-element';

/** Messages the embed page posts to its parent (documented in CONTRACT.md, "Embed protocol"). */
export type EmbedEvent =
  | { source: 'guruconnect'; type: 'ready' }
  | { source: 'guruconnect'; type: 'connected'; viewerId: string; control: boolean }
  | {
      source: 'guruconnect';
      type: 'disconnected';
      code: number;
      reason: string;
      message: string;
      willRetry: boolean;
    }
  | { source: 'guruconnect'; type: 'error'; code: string; message: string }
  | { source: 'guruconnect'; type: 'resize'; width: number; height: number }
  | { source: 'guruconnect'; type: 'consent'; state: 'pending' | 'granted' | 'declined' };

/** Commands the parent may post to the embed page. */
export type EmbedCommand =
  | { type: 'gc:disconnect' }
  | { type: 'gc:refresh' }
  | { type: 'gc:send-keys'; keysyms: number[] }
  | { type: 'gc:select-display'; displayId: string };

/**
 * Wires a `<gc-viewer>` to the parent frame: lifecycle events go out with a fixed target origin
 * (the parent's, and only when it is in the allowlist); commands are taken only from the parent
 * window and only from an allowed origin. Returns a function that removes the listeners.
 */
export function bridgeToParent(
  viewer: GcViewer,
  allowedOrigins: readonly string[],
  win: Window = window,
): () => void {
  const parentOrigin = win.location.ancestorOrigins?.[0];
  const target = parentOrigin && allowedOrigins.includes(parentOrigin) ? parentOrigin : undefined;
  const post = (event: EmbedEvent) => {
    if (target && win.parent !== win) win.parent.postMessage(event, target);
  };
  const on = <E extends Event>(name: string, fn: (e: E) => EmbedEvent) => {
    const listener = (e: Event) => post(fn(e as E));
    viewer.addEventListener(name, listener);
    return () => viewer.removeEventListener(name, listener);
  };
  const offs = [
    on<ConnectedEvent>(ConnectedEvent.eventName, (e) => ({
      source: 'guruconnect',
      type: 'connected',
      viewerId: e.viewerId,
      control: e.control,
    })),
    on<DisconnectedEvent>(DisconnectedEvent.eventName, (e) => ({
      source: 'guruconnect',
      type: 'disconnected',
      code: e.code,
      reason: e.reason,
      message: e.message,
      willRetry: e.willRetry,
    })),
    on<ViewerErrorEvent>(ViewerErrorEvent.eventName, (e) => ({
      source: 'guruconnect',
      type: 'error',
      code: e.code,
      message: e.message,
    })),
    on<ResizeEvent>(ResizeEvent.eventName, (e) => ({
      source: 'guruconnect',
      type: 'resize',
      width: e.width,
      height: e.height,
    })),
    on<ConsentPendingEvent>(ConsentPendingEvent.eventName, () => ({
      source: 'guruconnect',
      type: 'consent',
      state: 'pending',
    })),
    on<ConsentGrantedEvent>(ConsentGrantedEvent.eventName, () => ({
      source: 'guruconnect',
      type: 'consent',
      state: 'granted',
    })),
    on<ConsentDeclinedEvent>(ConsentDeclinedEvent.eventName, () => ({
      source: 'guruconnect',
      type: 'consent',
      state: 'declined',
    })),
  ];
  const onMessage = (e: MessageEvent) => {
    if (e.source !== win.parent || !allowedOrigins.includes(e.origin) || e.origin !== target) return;
    const cmd = e.data as EmbedCommand | null;
    if (!cmd || typeof cmd !== 'object') return;
    switch (cmd.type) {
      case 'gc:disconnect':
        viewer.disconnect();
        break;
      case 'gc:refresh':
        viewer.requestRefresh();
        break;
      case 'gc:send-keys':
        if (
          Array.isArray(cmd.keysyms) &&
          cmd.keysyms.every((k) => Number.isInteger(k) && k > 0 && k < 0x2000000)
        ) {
          viewer.sendKeys(cmd.keysyms.slice(0, 16));
        }
        break;
      case 'gc:select-display':
        if (typeof cmd.displayId === 'string') viewer.selectDisplay(cmd.displayId);
        break;
    }
  };
  win.addEventListener('message', onMessage);
  post({ source: 'guruconnect', type: 'ready' });
  return () => {
    for (const off of offs) off();
    win.removeEventListener('message', onMessage);
  };
}
