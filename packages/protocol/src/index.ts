// Public surface of @guruconnect/protocol. Everything else under src/ is private.

export { Capability, Feature, isKnownFlag } from './capabilities.js';
export type { CloseCodeEntry } from './close-codes.js';
export { CLOSE_CODES, closeEntryForCode, closeEntryForReason } from './close-codes.js';
export { CONTRACT_MAJOR, CONTRACT_VERSION, isCompatibleVersion } from './contract-version.js';
export type { EnvelopeInit, EnvelopeLimits } from './envelope-codec.js';
export {
  createEnvelope,
  DEFAULT_MAX_CONTROL_BYTES,
  DEFAULT_MAX_FRAME_BYTES,
  decodeEnvelope,
  encodeEnvelope,
} from './envelope-codec.js';
export * as enrollment from './gen/guruconnect/agent/v1/enrollment_pb.js';
export { EnrollmentService } from './gen/guruconnect/agent/v1/enrollment_pb.js';
// Request/response messages of the RPC packages, namespaced because several share a name
// (integration.CreateSupportCodeRequest vs management.CreateSupportCodeRequest).
export * as integration from './gen/guruconnect/integration/v1/integration_pb.js';
// ConnectRPC service descriptors.
export { IntegrationService } from './gen/guruconnect/integration/v1/integration_pb.js';
export * as management from './gen/guruconnect/management/v1/management_pb.js';
export {
  AuditService,
  AuthService,
  KeyService,
  MachineService,
  SessionService,
  UserService,
} from './gen/guruconnect/management/v1/management_pb.js';
// The session wire protocol: every message and enum of guruconnect.session.v1, generated from
// proto/ (EnvelopeSchema, Envelope, VideoFrame, Channel, CloseReason, …).
export * from './gen/guruconnect/session/v1/session_pb.js';
export type { IntegrationClient, IntegrationClientOptions } from './integration-client.js';
export { createIntegrationClient } from './integration-client.js';
export type { PayloadCase } from './message-roles.js';
export {
  AGENT_SENDS,
  BULK_PAYLOADS,
  CHANNEL_FOR_VIEWER_PAYLOAD,
  DROPPABLE_PAYLOADS,
  VIEWER_SENDS,
} from './message-roles.js';
export type { ProtocolErrorOptions } from './protocol-error.js';
export { ProtocolError, ProtocolErrorCode } from './protocol-error.js';
