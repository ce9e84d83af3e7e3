import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  AGENT_SENDS,
  type AgentHello,
  CHANNEL_FOR_VIEWER_PAYLOAD,
  CloseReason,
  closeEntryForCode,
  decodeEnvelope,
  type Envelope,
  type EnvelopeLimits,
  isCompatibleVersion,
  ProtocolError,
  ProtocolErrorCode,
  VIEWER_SENDS,
  type ViewerHello,
} from '@guruconnect/protocol';
import type { WebSocket } from 'ws';
import type { AgentConn, RelayCounters, ViewerConn } from './connections.js';
import type { AgentIdentity, ConnectionContext, HookResult, RelayEvent, ViewerGrant } from './hooks.js';
import { Peer, type PeerRole, shortMessage } from './peer.js';
import { RelayError, RelayErrorCode } from './relay-error.js';
import type { ResolvedRelayOptions } from './relay-options.js';
import { STAMP_RESERVE_BYTES } from './viewer-stamp.js';

/** Frames a peer may send after its hello, before the hook answered; more is a violation. */
const MAX_BACKLOG = 32;

/** One socket, from upgrade to close. */
export interface SocketRecord {
  readonly peer: Peer;
  phase: 'hello' | 'auth' | 'live';
  helloTimer: NodeJS.Timeout | undefined;
  backlog: Buffer[];
  agent: AgentConn | undefined;
  viewer: ViewerConn | undefined;
}

/** What the socket handler needs from the relay node. */
export interface SocketHandlerHost {
  readonly options: ResolvedRelayOptions;
  readonly counters: RelayCounters;
  readonly closing: boolean;
  emit(event: RelayEvent): void;
  reportError(error: RelayError): void;
  track(record: SocketRecord): void;
  untrack(record: SocketRecord): void;
  /** The agent is authenticated; binds it. Undefined when it was refused (and closed). */
  addAgent(record: SocketRecord, identity: AgentIdentity, hello: AgentHello): AgentConn | undefined;
  /** The viewer is authorized; joins it. Undefined when it was refused (and closed). */
  addViewer(record: SocketRecord, grant: ViewerGrant, hello: ViewerHello): ViewerConn | undefined;
  agentClosed(agent: AgentConn, reason: CloseReason): void;
  viewerClosed(viewer: ViewerConn, reason: CloseReason): void;
}

const INPUT_KINDS: ReadonlySet<string> = new Set(['pointerEvent', 'keyEvent']);

/**
 * The per-socket protocol: hello deadline, authentication through the hooks, decoding with
 * limits, the per-role allowlist and channel grants, and dispatch. Anything a peer does wrong
 * closes that socket with the table's code and raises one `violation` event; anything that
 * goes wrong inside closes that socket with 1011. Nothing propagates out of a socket callback.
 */
export class SocketHandler {
  readonly #host: SocketHandlerHost;
  readonly #agentLimits: EnvelopeLimits;
  readonly #viewerLimits: EnvelopeLimits;

  constructor(host: SocketHandlerHost) {
    this.#host = host;
    const { maxFrameBytes, maxControlBytes } = host.options;
    this.#agentLimits = { maxFrameBytes, maxControlBytes };
    // Viewer frames leave room for the viewer_id the relay appends, so the stamped frame still
    // fits the agent's limits.
    this.#viewerLimits = {
      maxFrameBytes: maxFrameBytes - STAMP_RESERVE_BYTES,
      maxControlBytes: maxControlBytes - STAMP_RESERVE_BYTES,
    };
  }

  accept(ws: WebSocket, role: PeerRole, request: IncomingMessage): void {
    const ctx: ConnectionContext = {
      remoteAddress: request.socket.remoteAddress ?? '',
      origin: request.headers.origin,
      userAgent: request.headers['user-agent'],
      correlationId: randomUUID(),
    };
    let record: SocketRecord | undefined;
    const peer = new Peer({
      ws,
      role,
      ctx,
      limits: this.#agentLimits,
      onClosed: (_peer, code, reason) => {
        if (record !== undefined) this.#closed(record, code, reason);
      },
    });
    const rec: SocketRecord = {
      peer,
      phase: 'hello',
      helloTimer: undefined,
      backlog: [],
      agent: undefined,
      viewer: undefined,
    };
    record = rec;
    this.#host.track(rec);
    rec.helloTimer = setTimeout(() => {
      rec.helloTimer = undefined;
      if (rec.phase !== 'live') peer.close(CloseReason.HELLO_TIMEOUT);
    }, this.#host.options.helloTimeoutMs);
    ws.on('message', (data, isBinary) => this.#onMessage(rec, data as Buffer, isBinary));
    ws.on('error', (error: Error & { code?: string }) => this.#onSocketError(rec, error));
  }

  /** One heartbeat period: beats every authenticated socket, closes (4010) those that stopped answering. */
  heartbeat(records: Iterable<SocketRecord>): void {
    const limit = this.#host.options.missedHeartbeats;
    for (const rec of records) {
      if (rec.phase !== 'live') continue;
      try {
        if (!rec.peer.heartbeat(limit)) rec.peer.close(CloseReason.HEARTBEAT_TIMEOUT);
      } catch (cause) {
        this.#internal(rec, cause);
      }
    }
  }

  #onMessage(rec: SocketRecord, data: Buffer, isBinary: boolean): void {
    if (!rec.peer.isOpen) return;
    try {
      if (!isBinary) {
        this.#violation(rec, CloseReason.PROTOCOL_ERROR, ProtocolErrorCode.NotBinary, 'text frame');
        return;
      }
      if (rec.phase === 'auth') {
        if (rec.backlog.length >= MAX_BACKLOG) {
          this.#violation(
            rec,
            CloseReason.POLICY_VIOLATION,
            'backlog',
            'too many frames before hello result',
          );
        } else {
          rec.backlog.push(data);
        }
        return;
      }
      this.#handleFrame(rec, data);
    } catch (cause) {
      this.#internal(rec, cause);
    }
  }

  #handleFrame(rec: SocketRecord, data: Buffer): void {
    const role = rec.peer.role;
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(data, role === 'agent' ? this.#agentLimits : this.#viewerLimits);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      const reason =
        error.code === ProtocolErrorCode.TooLarge
          ? CloseReason.MESSAGE_TOO_BIG
          : error.code === ProtocolErrorCode.EmptyPayload
            ? CloseReason.POLICY_VIOLATION
            : CloseReason.PROTOCOL_ERROR;
      this.#violation(rec, reason, error.code, error.message);
      return;
    }
    const kind = envelope.payload.case as NonNullable<Envelope['payload']['case']>;
    const allowed = role === 'agent' ? AGENT_SENDS : VIEWER_SENDS;
    if (!allowed.has(kind)) {
      this.#violation(rec, CloseReason.POLICY_VIOLATION, 'wrong_role', `${role} may not send ${kind}`);
      return;
    }
    const isHello = kind === 'agentHello' || kind === 'viewerHello';
    if (rec.phase === 'hello') {
      if (!isHello) {
        this.#violation(rec, CloseReason.POLICY_VIOLATION, 'hello_expected', `${kind} before hello`);
        return;
      }
      this.#authenticate(rec, envelope);
      return;
    }
    if (isHello) {
      this.#violation(rec, CloseReason.POLICY_VIOLATION, 'duplicate_hello', 'second hello');
      return;
    }
    if (rec.agent !== undefined) this.#fromAgent(rec.agent, envelope, data);
    else if (rec.viewer !== undefined) this.#fromViewer(rec, rec.viewer, envelope, data);
  }

  #fromAgent(agent: AgentConn, envelope: Envelope, data: Buffer): void {
    const payload = envelope.payload;
    switch (payload.case) {
      case 'heartbeat':
        agent.peer.onHeartbeat(payload.value);
        return;
      case 'closeNotice':
        return; // the agent is about to close; its close frame carries the code
      case 'agentStatus':
        this.#host.emit({
          type: 'agent-status',
          machineId: agent.identity.machineId,
          status: payload.value,
          at: new Date(),
        });
        return;
      case 'consentResponse':
        agent.session?.onConsentResponse(payload.value);
        return;
      default:
        if (agent.session === undefined) this.#host.counters.messagesGated += 1;
        else agent.session.fromAgent(envelope, data);
    }
  }

  #fromViewer(rec: SocketRecord, viewer: ViewerConn, envelope: Envelope, data: Buffer): void {
    const payload = envelope.payload;
    const kind = payload.case as NonNullable<Envelope['payload']['case']>;
    const channel = CHANNEL_FOR_VIEWER_PAYLOAD.get(kind);
    if (channel !== undefined && !viewer.channels.has(channel)) {
      this.#violation(rec, CloseReason.POLICY_VIOLATION, 'channel_not_granted', `${kind} needs a channel`);
      return;
    }
    if (INPUT_KINDS.has(kind) && !viewer.input.take()) {
      this.#violation(rec, CloseReason.RATE_LIMITED, 'rate_limited', 'input events over the rate limit');
      return;
    }
    if (payload.case === 'heartbeat') {
      viewer.peer.onHeartbeat(payload.value);
      return;
    }
    if (payload.case === 'closeNotice') return;
    viewer.session.fromViewer(viewer, envelope, data);
  }

  #authenticate(rec: SocketRecord, envelope: Envelope): void {
    const payload = envelope.payload;
    const hello = payload.value as AgentHello | ViewerHello;
    if (!isCompatibleVersion(hello.protocolVersion)) {
      rec.peer.close(CloseReason.UNSUPPORTED_VERSION);
      return;
    }
    rec.phase = 'auth';
    rec.peer.ws.pause();
    const { options } = this.#host;
    const ctx = rec.peer.ctx;
    if (payload.case === 'agentHello') {
      void this.#settle(
        rec,
        () => options.authenticateAgent(payload.value, ctx),
        (identity) => {
          rec.agent = this.#host.addAgent(rec, identity, payload.value);
          return rec.agent !== undefined;
        },
      );
    } else if (payload.case === 'viewerHello') {
      const viewerHello = payload.value;
      void this.#settle(
        rec,
        () => options.authorizeViewer(viewerHello.token, viewerHello.sessionId, ctx),
        (grant) => {
          rec.viewer = this.#host.addViewer(rec, grant, viewerHello);
          return rec.viewer !== undefined;
        },
      );
    }
  }

  /** Runs a hook and applies its answer. Never rejects. */
  async #settle<T>(
    rec: SocketRecord,
    hook: () => Promise<HookResult<T>>,
    accept: (value: T) => boolean,
  ): Promise<void> {
    const peer = rec.peer;
    let result: HookResult<T>;
    try {
      result = await hook();
    } catch (cause) {
      this.#host.reportError(
        new RelayError(RelayErrorCode.HookFailed, `the ${peer.role} hook failed`, {
          cause,
          correlationId: peer.ctx.correlationId,
        }),
      );
      peer.close(CloseReason.INTERNAL_ERROR);
      return;
    }
    try {
      if (!peer.isOpen) return; // hello deadline, shutdown or peer left while the hook ran
      if (this.#host.closing) {
        peer.close(CloseReason.SERVER_SHUTDOWN);
        return;
      }
      if (typeof result !== 'object' || result === null || typeof result.ok !== 'boolean') {
        throw new TypeError('hook returned something that is not a HookResult');
      }
      if (!result.ok) {
        peer.sendEnvelope({
          payload: {
            case: 'error',
            value: {
              code: 'GC_ERR_RELAY_REFUSED',
              message: shortMessage(String(result.message)),
              correlationId: peer.ctx.correlationId,
            },
          },
        });
        peer.close(result.reason === CloseReason.UNSPECIFIED ? CloseReason.UNAUTHORIZED : result.reason);
        return;
      }
      clearTimeout(rec.helloTimer);
      rec.helloTimer = undefined;
      if (!accept(result.value) || !peer.isOpen) return;
      rec.phase = 'live';
      const backlog = rec.backlog;
      rec.backlog = [];
      for (const frame of backlog) {
        if (!peer.isOpen) return;
        this.#handleFrame(rec, frame);
      }
      peer.ws.resume();
    } catch (cause) {
      this.#internal(rec, cause);
    }
  }

  #onSocketError(rec: SocketRecord, error: Error & { code?: string }): void {
    // ws raises these for frames it refuses itself (over maxPayload, bad opcode, bad UTF-8)
    // and has already started closing with its own code (1009, 1002, 1007).
    const reason =
      error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
        ? CloseReason.MESSAGE_TOO_BIG
        : CloseReason.PROTOCOL_ERROR;
    const code = error.code ?? '';
    if (code.startsWith('WS_ERR_')) {
      this.#violation(rec, reason, code, error.message);
    } else {
      // A transport error (reset, EPIPE): not the peer's protocol fault; the close follows.
      rec.peer.close(CloseReason.INTERNAL_ERROR);
    }
  }

  #violation(rec: SocketRecord, reason: CloseReason, code: string, detail: string): void {
    const peer = rec.peer;
    if (peer.closeReason !== undefined) return;
    this.#host.counters.violations += 1;
    this.#host.emit({
      type: 'violation',
      role: peer.role,
      code,
      detail,
      remoteAddress: peer.ctx.remoteAddress,
      sessionId: rec.viewer?.session.id ?? rec.agent?.session?.id,
      correlationId: peer.ctx.correlationId,
      at: new Date(),
    });
    peer.close(reason);
  }

  #internal(rec: SocketRecord, cause: unknown): void {
    this.#host.reportError(
      new RelayError(RelayErrorCode.Internal, `internal error on a ${rec.peer.role} socket`, {
        cause,
        correlationId: rec.peer.ctx.correlationId,
      }),
    );
    try {
      rec.peer.close(CloseReason.INTERNAL_ERROR);
    } catch (closeError) {
      // Closing itself failed (the socket is beyond saving): cut it.
      this.#host.reportError(
        new RelayError(RelayErrorCode.Internal, 'closing a failed socket failed', { cause: closeError }),
      );
      rec.peer.ws.terminate();
    }
  }

  #closed(rec: SocketRecord, code: number, relayReason: CloseReason | undefined): void {
    clearTimeout(rec.helloTimer);
    rec.helloTimer = undefined;
    rec.backlog = [];
    this.#host.untrack(rec);
    const role = rec.peer.role;
    const reason =
      relayReason ??
      closeEntryForCode(code)?.reason ??
      (role === 'agent' ? CloseReason.AGENT_DISCONNECTED : CloseReason.NORMAL);
    try {
      if (rec.agent !== undefined) this.#host.agentClosed(rec.agent, reason);
      if (rec.viewer !== undefined) this.#host.viewerClosed(rec.viewer, reason);
    } catch (cause) {
      this.#host.reportError(
        new RelayError(RelayErrorCode.Internal, `cleanup of a ${role} socket failed`, {
          cause,
          correlationId: rec.peer.ctx.correlationId,
        }),
      );
    }
  }
}
