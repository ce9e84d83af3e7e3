// Public surface of @guruconnect/relay-core.

export type {
  AgentIdentity,
  AuthenticateAgent,
  AuthorizeViewer,
  ConnectionContext,
  HookResult,
  RelayEvent,
  RelayEventOf,
  RelayEventType,
  TerminalTap,
  ViewerGrant,
} from './hooks.js';
export type { InProcessBusOptions } from './in-process-bus.js';
export { createInProcessBus } from './in-process-bus.js';
export type { Relay, RelayStats } from './relay.js';
export { createRelay } from './relay.js';
export type {
  BusControlMessage,
  BusMessage,
  BusRequestOptions,
  BusSubscription,
  RelayBus,
} from './relay-bus.js';
export { relaySubjects, subjectToken } from './relay-bus.js';
export type { RelayErrorOptions } from './relay-error.js';
export { RelayError, RelayErrorCode } from './relay-error.js';
export type { AllowedOrigins, RelayOptions } from './relay-options.js';
export type { SessionSnapshot, ViewerSnapshot } from './relay-session.js';
export type { RelaySessionState } from './session-state-machine.js';
export { SESSION_TRANSITIONS, SessionStateMachine } from './session-state-machine.js';
