import { CloseReason } from './gen/guruconnect/session/v1/session_pb.js';

/** One row of the close-code table. */
export interface CloseCodeEntry {
  readonly reason: CloseReason;
  /** WebSocket close code sent in the close frame. */
  readonly code: number;
  /** Stable machine name, e.g. for logs and metrics labels. */
  readonly name: string;
  /** What a person sees. */
  readonly message: string;
  /** Whether a client should reconnect on its own after this close. */
  readonly retry: boolean;
}

/**
 * The single table of close reasons: every socket close on /v1/agent and /v1/viewer uses one
 * of these codes. 1xxx codes keep their RFC 6455 meaning; 4xxx codes are GuruConnect's.
 */
export const CLOSE_CODES: readonly CloseCodeEntry[] = [
  row(CloseReason.NORMAL, 1000, 'normal', 'The session was closed.', false),
  row(CloseReason.SERVER_SHUTDOWN, 1001, 'server_shutdown', 'The server is restarting. Reconnecting…', true),
  row(CloseReason.PROTOCOL_ERROR, 1002, 'protocol_error', 'The peer sent a malformed message.', false),
  row(
    CloseReason.POLICY_VIOLATION,
    1008,
    'policy_violation',
    'A message was not allowed on this connection.',
    false,
  ),
  row(
    CloseReason.MESSAGE_TOO_BIG,
    1009,
    'message_too_big',
    'A message was larger than the server allows.',
    false,
  ),
  row(
    CloseReason.INTERNAL_ERROR,
    1011,
    'internal_error',
    'The server hit an internal error. Reconnecting…',
    true,
  ),
  row(
    CloseReason.VIEWER_TOO_SLOW,
    1013,
    'viewer_too_slow',
    'The connection was too slow to keep up with the screen.',
    true,
  ),
  row(CloseReason.UNAUTHORIZED, 4001, 'unauthorized', 'The credentials were refused.', false),
  row(
    CloseReason.HELLO_TIMEOUT,
    4002,
    'hello_timeout',
    'The connection did not identify itself in time.',
    false,
  ),
  row(
    CloseReason.FORBIDDEN_ORIGIN,
    4003,
    'forbidden_origin',
    'This page is not allowed to open sessions.',
    false,
  ),
  row(CloseReason.SESSION_NOT_FOUND, 4004, 'session_not_found', 'The session does not exist.', false),
  row(CloseReason.SESSION_ENDED, 4005, 'session_ended', 'The session has ended.', false),
  row(CloseReason.CONSENT_DECLINED, 4006, 'consent_declined', 'The user declined the connection.', false),
  row(
    CloseReason.CONSENT_TIMEOUT,
    4007,
    'consent_timeout',
    'The user did not answer the connection request.',
    false,
  ),
  row(CloseReason.REPLACED, 4008, 'replaced', 'This connection was replaced by a newer one.', false),
  row(CloseReason.KEY_REVOKED, 4009, 'key_revoked', 'The agent key was revoked.', false),
  row(
    CloseReason.HEARTBEAT_TIMEOUT,
    4010,
    'heartbeat_timeout',
    'The connection stopped responding. Reconnecting…',
    true,
  ),
  row(
    CloseReason.TOKEN_EXPIRED,
    4011,
    'token_expired',
    'The viewer token has expired or was already used.',
    false,
  ),
  row(
    CloseReason.UNSUPPORTED_VERSION,
    4012,
    'unsupported_version',
    'The peer speaks an unsupported protocol version.',
    false,
  ),
  row(CloseReason.RATE_LIMITED, 4013, 'rate_limited', 'Too many messages; the connection was closed.', false),
  row(CloseReason.AGENT_DISCONNECTED, 4014, 'agent_disconnected', 'The remote machine went offline.', false),
];

function row(
  reason: CloseReason,
  code: number,
  name: string,
  message: string,
  retry: boolean,
): CloseCodeEntry {
  return Object.freeze({ reason, code, name, message, retry });
}

const byReason = new Map(CLOSE_CODES.map((e) => [e.reason, e]));
const byCode = new Map(CLOSE_CODES.map((e) => [e.code, e]));

/** The table row for a reason. `CLOSE_REASON_UNSPECIFIED` maps to the internal-error row. */
export function closeEntryForReason(reason: CloseReason): CloseCodeEntry {
  return byReason.get(reason) ?? (byReason.get(CloseReason.INTERNAL_ERROR) as CloseCodeEntry);
}

/**
 * The table row for a close code received from a socket, or undefined for a code outside the
 * table (e.g. 1006, an abnormal close with no frame).
 */
export function closeEntryForCode(code: number): CloseCodeEntry | undefined {
  return byCode.get(code);
}
