// Public surface of @guruconnect/server-kit. Everything else under src/ is private.

// Services and what they take and return.
export type { AgentAuthenticator } from './agent-authenticator.js';
export type { AttemptLimit } from './attempt-limiter.js';
export type {
  AuditEvent,
  AuditFilter,
  AuditInput,
  AuditOutcome,
  AuditPage,
  AuditService,
} from './audit-service.js';
export type { AuthService, AuthServiceOptions, LoginInput, LoginResult } from './auth-service.js';
// Small pieces for hosts.
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
// Errors.
export { toConnectError } from './connect-error-map.js';
// Start-up: database, kit.
export type { Database } from './db/database.js';
export type { MigrationResult } from './db/migrator.js';
export { MIGRATIONS_DIR, migrate } from './db/migrator.js';
export type { OpenDatabaseOptions } from './db/open-database.js';
export { openDatabase } from './db/open-database.js';
export type {
  EnrollInput,
  EnrollmentService,
  EnrollResult,
  ProvisionInput,
  RotatedKey,
} from './enrollment-service.js';
export type {
  AgentKeyRevokedEvent,
  AgentKeyRevokedListener,
  CreatedKey,
  KeyInfo,
  KeyKind,
  KeysService,
} from './keys-service.js';
export type { Caller } from './kit-context.js';
export type { Logger, LogRecord } from './logger.js';
export { noopLogger } from './logger.js';
export type { SearchField, SearchTerm } from './machine-search.js';
export { parseSearchQuery, SEARCH_FIELDS } from './machine-search.js';
export type {
  MachineInventory,
  MachinePage,
  MachinePatch,
  MachineSearchOptions,
  MachinesService,
  MachineView,
} from './machines-service.js';
export type { RecordingView, StartRecordingInput } from './recordings-service.js';
export { RecordingsService } from './recordings-service.js';
export { REDACTED, redact } from './redact.js';
export type { RelayEventRecorder, RelayHooks } from './relay-hooks.js';
// Rights.
export type { Action, Principal, Resource, Role } from './rights.js';
export { ACTIONS, can, isRole, ROLES, rightsTable } from './rights.js';
export type { ServerKit, ServerKitOptions } from './server-kit.js';
export { createServerKit } from './server-kit.js';
export type { ServerKitErrorOptions } from './server-kit-error.js';
export { ServerKitError, ServerKitErrorCode } from './server-kit-error.js';
export type { SessionStateName } from './session-state.js';
export { canTransition, LIVE_STATES, stateFromWire, stateToWire } from './session-state.js';
export type {
  ListSessionsInput,
  SessionEndedEvent,
  SessionEndedListener,
  SessionModeName,
  SessionSource,
  SessionsService,
  SessionView,
  StartSessionInput,
} from './sessions-service.js';
export type {
  CreatedSupportCode,
  CreateSupportCodeInput,
  RedeemedSupportCode,
  SupportCodesService,
} from './support-codes-service.js';
export { MAX_SUPPORT_CODE_TTL_SECONDS, SUPPORT_CODE_DIGITS } from './support-codes-service.js';
export type {
  CreateUserInput,
  EnsureFirstAdminOptions,
  EnsureFirstAdminResult,
  UpdateUserInput,
  UsersService,
  UserView,
} from './users-service.js';
export type {
  MintedViewerToken,
  MintViewerTokenInput,
  ViewerTokensService,
} from './viewer-tokens-service.js';
export { MAX_VIEWER_TOKEN_TTL_SECONDS } from './viewer-tokens-service.js';
// Webhooks: registration, the outbox, and what receivers need to check a delivery.
export type {
  WebhookEventBody,
  WebhookEventData,
  WebhookEventType,
  WebhookMachineRef,
  WebhookSessionRef,
} from './webhook-events.js';
export { isWebhookEventType, WEBHOOK_EVENT_TYPES } from './webhook-events.js';
export type { VerifyWebhookSignatureInput } from './webhook-signature.js';
export {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  signWebhookPayload,
  verifyWebhookSignature,
  WebhookHeader,
} from './webhook-signature.js';
export type {
  EmitWebhookEventInput,
  RegisteredWebhook,
  RegisterWebhookInput,
  WebhooksService,
  WebhookView,
} from './webhooks-service.js';
export {
  MAX_WEBHOOK_DATA_BYTES,
  MAX_WEBHOOK_URL_LENGTH,
  MAX_WEBHOOKS_PER_INTEGRATION,
} from './webhooks-service.js';
