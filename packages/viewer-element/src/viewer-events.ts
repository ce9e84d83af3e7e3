// The events <gc-viewer> fires. All bubble and are composed, so a page can listen on any
// ancestor, also across shadow roots. Kept together (as lit's labs/virtualizer does) because
// each is a few lines and they are only meaningful as a set.
import type { Display } from '@guruconnect/protocol';

/** The session became active: screen (and input, when granted) is flowing. */
export class ConnectedEvent extends Event {
  static readonly eventName = 'gc-connected';
  constructor(
    /** The id the relay gave this viewer. */
    readonly viewerId: string,
    /** False when input is not sent (the `view-only` attribute, or no control channel granted). */
    readonly control: boolean,
  ) {
    super(ConnectedEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The socket closed. `willRetry` says whether the viewer reconnects on its own. */
export class DisconnectedEvent extends Event {
  static readonly eventName = 'gc-disconnected';
  constructor(
    /** WebSocket close code from the protocol's close-code table (1006 when the socket dropped without one). */
    readonly code: number,
    /** Stable name of the close reason, e.g. `consent_declined` (`abnormal` for a code outside the table). */
    readonly reason: string,
    /** What a person should read, e.g. "The user declined the connection." */
    readonly message: string,
    readonly willRetry: boolean,
  ) {
    super(DisconnectedEvent.eventName, { bubbles: true, composed: true });
  }
}

/** Something went wrong that the integrator may want to log or show. `code` is stable (`GC_ERR_…`). */
export class ViewerErrorEvent extends Event {
  static readonly eventName = 'gc-error';
  constructor(
    readonly code: string,
    readonly message: string,
    readonly error?: unknown,
  ) {
    super(ViewerErrorEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The end user is being asked to accept this connection (attended sessions). */
export class ConsentPendingEvent extends Event {
  static readonly eventName = 'gc-consent-pending';
  constructor() {
    super(ConsentPendingEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The end user accepted the connection. */
export class ConsentGrantedEvent extends Event {
  static readonly eventName = 'gc-consent-granted';
  constructor() {
    super(ConsentGrantedEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The end user declined (close code 4006) or did not answer in time (4007). */
export class ConsentDeclinedEvent extends Event {
  static readonly eventName = 'gc-consent-declined';
  constructor(
    readonly code: number,
    readonly message: string,
  ) {
    super(ConsentDeclinedEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The agent reported its displays (on join and whenever they change). */
export class DisplaysChangedEvent extends Event {
  static readonly eventName = 'gc-displays-changed';
  constructor(
    readonly displays: readonly Display[],
    readonly activeDisplayId: string,
  ) {
    super(DisplaysChangedEvent.eventName, { bubbles: true, composed: true });
  }
}

/** The remote display changed size (first frame, display switch or resolution change). */
export class ResizeEvent extends Event {
  static readonly eventName = 'gc-resize';
  constructor(
    readonly width: number,
    readonly height: number,
    readonly displayId: string,
  ) {
    super(ResizeEvent.eventName, { bubbles: true, composed: true });
  }
}

/** A terminal channel ended: the shell exited, or the agent refused or closed it. */
export class TerminalExitEvent extends Event {
  static readonly eventName = 'gc-terminal-exit';
  constructor(
    readonly channelId: number,
    /** The shell's exit code; -1 when it was refused or killed. */
    readonly exitCode: number,
    /** The signal that ended it, 0 if none. */
    readonly signal: number,
    /** Why, in words (e.g. "the shell exited (code 0)", or the refusal). */
    readonly reason: string,
  ) {
    super(TerminalExitEvent.eventName, { bubbles: true, composed: true });
  }
}

/** Playback of a recording started, paused, changed speed or reached its end. */
export class PlaybackStateEvent extends Event {
  static readonly eventName = 'gc-playback-state';
  constructor(
    readonly playing: boolean,
    /** Seconds into the recording. */
    readonly position: number,
    readonly duration: number,
    readonly ended: boolean,
  ) {
    super(PlaybackStateEvent.eventName, { bubbles: true, composed: true });
  }
}
