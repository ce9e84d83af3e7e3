import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type AgentHello,
  CLOSE_CODES,
  CloseReason,
  CONTRACT_VERSION,
  isKnownFlag,
  SessionMode,
  type ViewerHello,
} from '@guruconnect/protocol';
import { WebSocketServer } from 'ws';
import type { AgentConn, RelayCounters, SessionHost, ViewerConn } from './connections.js';
import type { AgentIdentity, RelayEvent, RelayEventOf, RelayEventType, ViewerGrant } from './hooks.js';
import { createInProcessBus } from './in-process-bus.js';
import { isOriginAllowed, refuseUpgrade } from './origin-policy.js';
import type { PeerRole } from './peer.js';
import type { Relay, RelayStats } from './relay.js';
import {
  type BusMessage,
  type BusSubscription,
  decodeControl,
  encodeControl,
  type RelayBus,
  relaySubjects,
} from './relay-bus.js';
import { RelayError, RelayErrorCode } from './relay-error.js';
import { type RelayOptions, type ResolvedRelayOptions, resolveRelayOptions } from './relay-options.js';
import { RelaySession, type SessionSnapshot } from './relay-session.js';
import { SocketHandler, type SocketHandlerHost, type SocketRecord } from './socket-handler.js';
import { TokenBucket } from './token-bucket.js';
import { ViewerFlow } from './viewer-flow.js';
import { encodeViewerStamp } from './viewer-stamp.js';

const KNOWN_REASONS = new Set<number>(CLOSE_CODES.map((entry) => entry.reason));

/** The relay behind `createRelay`: registries of sockets, agents and sessions, and the bus. */
export class RelayNode implements Relay, SessionHost, SocketHandlerHost {
  readonly options: ResolvedRelayOptions;
  readonly counters: RelayCounters = {
    bytesRelayed: 0,
    framesForwarded: 0,
    framesDropped: 0,
    messagesGated: 0,
    violations: 0,
  };
  readonly #wss: WebSocketServer;
  readonly #bus: RelayBus;
  readonly #ownsBus: boolean;
  readonly #handler: SocketHandler;
  readonly #records = new Set<SocketRecord>();
  readonly #agents = new Map<string, AgentConn>();
  readonly #sessions = new Map<string, RelaySession>();
  readonly #sessionsByMachine = new Map<string, Set<RelaySession>>();
  readonly #sessionSubscriptions = new Map<RelaySession, BusSubscription>();
  readonly #listeners = new Map<RelayEventType, Set<(event: RelayEvent) => void>>();
  readonly #heartbeatTimer: NodeJS.Timeout;
  #viewerCount = 0;
  #closing: Promise<void> | undefined;

  constructor(options: RelayOptions) {
    this.options = resolveRelayOptions(options);
    this.#ownsBus = this.options.bus === undefined;
    this.#bus = this.options.bus ?? createInProcessBus({ onError: (e) => this.reportError(e) });
    // closeTimeout is a ws ≥ 8.18 server option missing from @types/ws.
    const serverOptions = {
      noServer: true,
      perMessageDeflate: false,
      maxPayload: this.options.maxFrameBytes,
      clientTracking: false,
      closeTimeout: this.options.closeTimeoutMs,
    };
    this.#wss = new WebSocketServer(serverOptions);
    this.#handler = new SocketHandler(this);
    this.#heartbeatTimer = setInterval(() => this.#heartbeat(), this.options.heartbeatIntervalMs);
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  get closing(): boolean {
    return this.#closing !== undefined;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = request.url ?? '';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    const role: PeerRole | undefined =
      path === this.options.agentPath ? 'agent' : path === this.options.viewerPath ? 'viewer' : undefined;
    if (role === undefined) return false;
    try {
      if (this.closing) {
        refuseUpgrade(socket, 503, 'server shutting down');
        return true;
      }
      const origin = request.headers.origin;
      if (!isOriginAllowed(this.options.allowedOrigins, role, origin, request)) {
        this.counters.violations += 1;
        this.emit({
          type: 'violation',
          role,
          code: 'forbidden_origin',
          detail: `origin ${origin ?? '(none)'} is not allowed`,
          remoteAddress: request.socket.remoteAddress ?? '',
          correlationId: '',
          at: new Date(),
        });
        refuseUpgrade(socket, 403, 'forbidden origin');
        return true;
      }
      this.#wss.handleUpgrade(request, socket, head, (ws) => {
        if (this.closing) ws.close(1001, 'server_shutdown');
        else this.#handler.accept(ws, role, request);
      });
    } catch (cause) {
      this.reportError(new RelayError(RelayErrorCode.Internal, 'upgrade failed', { cause }));
      socket.destroy();
    }
    return true;
  }

  on<T extends RelayEventType>(type: T, listener: (event: RelayEventOf<T>) => void): () => void {
    let set = this.#listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(type, set);
    }
    const entry = listener as (event: RelayEvent) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  emit(event: RelayEvent): void {
    const deliver = (listener: (event: RelayEvent) => void): void => {
      try {
        listener(event);
      } catch (cause) {
        this.reportError(
          new RelayError(RelayErrorCode.ListenerFailed, `a ${event.type} listener threw`, { cause }),
        );
      }
    };
    if (this.options.onEvent !== undefined) deliver(this.options.onEvent);
    const set = this.#listeners.get(event.type);
    if (set !== undefined) for (const listener of [...set]) deliver(listener);
  }

  reportError(error: RelayError): void {
    try {
      this.options.onError(error);
    } catch (cause) {
      // onError itself failed: the last place left to say so.
      process.emitWarning(new RelayError(RelayErrorCode.ListenerFailed, 'onError threw', { cause }));
    }
  }

  endSession(sessionId: string, reason: CloseReason = CloseReason.NORMAL, message = ''): boolean {
    this.#publish(relaySubjects.sessionControl(sessionId), {
      op: 'end-session',
      nodeId: this.nodeId,
      reason,
      message,
    });
    const session = this.#sessions.get(sessionId);
    session?.end(reason, message || undefined);
    return session !== undefined;
  }

  disconnectAgent(machineId: string, reason: CloseReason = CloseReason.KEY_REVOKED, message = ''): boolean {
    this.#publish(relaySubjects.machineControl(machineId), {
      op: 'disconnect-agent',
      nodeId: this.nodeId,
      reason,
      message,
    });
    const agent = this.#agents.get(machineId);
    if (agent !== undefined) this.#disconnect(agent, reason, message || undefined);
    return agent !== undefined;
  }

  listSessions(): SessionSnapshot[] {
    return [...this.#sessions.values()].map((session) => session.snapshot());
  }

  isAgentOnline(machineId: string): boolean {
    return this.#agents.has(machineId);
  }

  async locateAgent(machineId: string, timeoutMs = 1000): Promise<string | undefined> {
    if (this.#agents.has(machineId)) return this.nodeId;
    try {
      const answer = await this.#bus.request(relaySubjects.machineLocate(machineId), new Uint8Array(0), {
        timeoutMs,
      });
      const control = decodeControl(answer.data);
      return control?.op === 'located' ? control.nodeId : undefined;
    } catch (error) {
      if (error instanceof RelayError && error.code === RelayErrorCode.BusTimeout) return undefined;
      throw new RelayError(RelayErrorCode.BusFailed, 'locating an agent failed', { cause: error });
    }
  }

  stats(): RelayStats {
    return {
      sessions: this.#sessions.size,
      viewers: this.#viewerCount,
      agents: this.#agents.size,
      sockets: this.#records.size,
      ...this.counters,
    };
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const session of [...this.#sessions.values()]) session.end(CloseReason.SERVER_SHUTDOWN);
    const closed: Promise<void>[] = [];
    for (const record of this.#records) {
      record.peer.close(CloseReason.SERVER_SHUTDOWN);
      closed.push(record.peer.closed);
    }
    await Promise.all(closed);
    clearInterval(this.#heartbeatTimer);
    for (const subscription of this.#sessionSubscriptions.values()) subscription.unsubscribe();
    this.#sessionSubscriptions.clear();
    if (this.#ownsBus) await this.#bus.close();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  // ── SocketHandlerHost ────────────────────────────────────────────────────────────────────

  track(record: SocketRecord): void {
    this.#records.add(record);
  }

  untrack(record: SocketRecord): void {
    this.#records.delete(record);
  }

  addAgent(record: SocketRecord, identity: AgentIdentity, hello: AgentHello): AgentConn | undefined {
    const peer = record.peer;
    if (typeof identity?.machineId !== 'string' || identity.machineId === '') {
      throw new TypeError('authenticateAgent returned an identity without machineId');
    }
    const machineId = identity.machineId;
    let session: RelaySession | undefined;
    if (identity.sessionId !== undefined) {
      session = this.#sessions.get(identity.sessionId);
      if (session !== undefined && session.machineId !== machineId) {
        peer.close(CloseReason.UNAUTHORIZED, 'the session belongs to another machine');
        return undefined;
      }
    }
    const previous = this.#agents.get(machineId);
    if (previous !== undefined) {
      this.#agentGone(previous, CloseReason.REPLACED);
      previous.peer.close(CloseReason.REPLACED);
    }
    const agent: AgentConn = {
      peer,
      identity,
      connectedAt: new Date(),
      session: undefined,
      subscriptions: [],
      gone: false,
      pausedViewers: new Set(),
    };
    this.#agents.set(machineId, agent);
    this.#subscribeAgent(agent);
    this.#publish(relaySubjects.machineControl(machineId), {
      op: 'agent-connected',
      nodeId: this.nodeId,
      correlationId: peer.ctx.correlationId,
    });
    peer.sendEnvelope({
      payload: {
        case: 'helloResult',
        value: {
          sessionId: identity.sessionId ?? '',
          machineId,
          mode: identity.mode,
          heartbeatIntervalMs: this.options.heartbeatIntervalMs,
          serverVersion: this.options.serverVersion,
          protocolVersion: CONTRACT_VERSION,
          capabilities: hello.capabilities.filter(isKnownFlag),
        },
      },
    });
    this.emit({
      type: 'agent-connected',
      machineId,
      machineName: identity.machineName,
      sessionId: identity.sessionId,
      keyId: identity.keyId,
      remoteAddress: peer.ctx.remoteAddress,
      correlationId: peer.ctx.correlationId,
      at: agent.connectedAt,
    });
    if (identity.sessionId !== undefined) {
      session ??= this.#createSession(identity.sessionId, machineId, SessionMode.ATTENDED);
      if (session.waitsForAgent) session.attachAgent(agent);
    } else {
      this.#bindNext(agent);
    }
    return agent;
  }

  addViewer(record: SocketRecord, grant: ViewerGrant, hello: ViewerHello): ViewerConn | undefined {
    const peer = record.peer;
    if (
      typeof grant?.sessionId !== 'string' ||
      typeof grant.machineId !== 'string' ||
      grant.machineId === ''
    ) {
      throw new TypeError('authorizeViewer returned a grant without sessionId or machineId');
    }
    if (grant.sessionId !== hello.sessionId) {
      peer.close(CloseReason.UNAUTHORIZED, 'the token is for another session');
      return undefined;
    }
    const mode = grant.mode === SessionMode.UNATTENDED ? SessionMode.UNATTENDED : SessionMode.ATTENDED;
    let session = this.#sessions.get(grant.sessionId);
    if (session !== undefined && session.machineId !== grant.machineId) {
      peer.close(CloseReason.UNAUTHORIZED, 'the session belongs to another machine');
      return undefined;
    }
    if (session !== undefined && mode === SessionMode.ATTENDED && session.mode === SessionMode.UNATTENDED) {
      // Never let a grant that requires consent join a session that does not ask for it.
      peer.close(CloseReason.UNAUTHORIZED, 'the session does not ask for consent');
      return undefined;
    }
    session ??= this.#createSession(grant.sessionId, grant.machineId, mode);
    const viewerId = `v-${randomBytes(12).toString('base64url')}`;
    const owner = session;
    const viewer: ViewerConn = {
      peer,
      grant,
      viewerId,
      channels: new Set(grant.channels),
      joinedAt: new Date(),
      flow: new ViewerFlow({
        window: this.options.videoWindow,
        videoBudgetBytes: this.options.maxBufferedBytes / 2,
      }),
      input: new TokenBucket({ ratePerSecond: this.options.inputRatePerSecond }),
      stamp: encodeViewerStamp(viewerId),
      session,
      onVideoFlushed: () => owner.onVideoFlushed(viewer),
      behindTimer: undefined,
      present: false,
    };
    this.#viewerCount += 1;
    peer.sendEnvelope({
      payload: {
        case: 'helloResult',
        value: {
          sessionId: session.id,
          machineId: session.machineId,
          viewerId,
          channels: grant.channels,
          mode: session.mode,
          heartbeatIntervalMs: this.options.heartbeatIntervalMs,
          serverVersion: this.options.serverVersion,
          protocolVersion: CONTRACT_VERSION,
          capabilities: hello.capabilities.filter(isKnownFlag),
        },
      },
    });
    this.emit({
      type: 'viewer-joined',
      sessionId: session.id,
      viewerId,
      userId: grant.userId,
      viewerName: grant.viewerName,
      channels: grant.channels,
      correlationId: peer.ctx.correlationId,
      at: viewer.joinedAt,
    });
    session.addViewer(viewer);
    if (session.waitsForAgent) {
      const agent = this.#agents.get(session.machineId);
      if (agent !== undefined && agent.session === undefined && this.#mayServe(agent, session)) {
        session.attachAgent(agent);
      }
    }
    return viewer;
  }

  agentClosed(agent: AgentConn, reason: CloseReason): void {
    this.#agentGone(agent, reason);
  }

  viewerClosed(viewer: ViewerConn, reason: CloseReason): void {
    this.#viewerCount -= 1;
    viewer.session.removeViewer(viewer, reason);
  }

  // ── SessionHost ──────────────────────────────────────────────────────────────────────────

  sessionEnded(session: RelaySession, freedAgent: AgentConn | undefined): void {
    if (this.#sessions.get(session.id) === session) this.#sessions.delete(session.id);
    const byMachine = this.#sessionsByMachine.get(session.machineId);
    byMachine?.delete(session);
    if (byMachine?.size === 0) this.#sessionsByMachine.delete(session.machineId);
    this.#sessionSubscriptions.get(session)?.unsubscribe();
    this.#sessionSubscriptions.delete(session);
    if (freedAgent !== undefined) this.#bindNext(freedAgent);
  }

  // ── internals ────────────────────────────────────────────────────────────────────────────

  #createSession(sessionId: string, machineId: string, mode: SessionMode): RelaySession {
    const session = new RelaySession(this, { id: sessionId, machineId, mode });
    this.#sessions.set(sessionId, session);
    let byMachine = this.#sessionsByMachine.get(machineId);
    if (byMachine === undefined) {
      byMachine = new Set();
      this.#sessionsByMachine.set(machineId, byMachine);
    }
    byMachine.add(session);
    const subscription = this.#subscribe(relaySubjects.sessionControl(sessionId), (message) => {
      const control = decodeControl(message.data);
      if (control?.op === 'end-session' && control.nodeId !== this.nodeId) {
        session.end(toReason(control.reason), control.message || undefined);
      }
    });
    if (subscription !== undefined) this.#sessionSubscriptions.set(session, subscription);
    return session;
  }

  /** A support-code agent serves its own session only; a key agent serves any of its machine. */
  #mayServe(agent: AgentConn, session: RelaySession): boolean {
    const own = agent.identity.sessionId;
    return own === undefined || own === session.id;
  }

  /**
   * Gives a free agent the next session of its machine that waits for it: one it lost first,
   * else the oldest waiting. A second session of a busy machine waits (WAITING_FOR_AGENT)
   * until the first one ends.
   */
  #bindNext(agent: AgentConn): void {
    if (agent.gone || agent.session !== undefined || !agent.peer.isOpen || this.closing) return;
    const candidates = this.#sessionsByMachine.get(agent.identity.machineId);
    if (candidates === undefined) return;
    let next: RelaySession | undefined;
    for (const session of candidates) {
      if (!session.waitsForAgent || !this.#mayServe(agent, session)) continue;
      if (session.agentWasLost) {
        next = session;
        break;
      }
      next ??= session;
    }
    next?.attachAgent(agent);
  }

  #agentGone(agent: AgentConn, reason: CloseReason): void {
    if (agent.gone) return;
    agent.gone = true;
    const machineId = agent.identity.machineId;
    if (this.#agents.get(machineId) === agent) this.#agents.delete(machineId);
    for (const subscription of agent.subscriptions) subscription.unsubscribe();
    agent.subscriptions.length = 0;
    agent.session?.detachAgent();
    this.emit({
      type: 'agent-disconnected',
      machineId,
      reason,
      correlationId: agent.peer.ctx.correlationId,
      at: new Date(),
    });
  }

  #disconnect(agent: AgentConn, reason: CloseReason, message: string | undefined): void {
    const session = agent.session;
    this.#agentGone(agent, reason); // first, so the ending session cannot hand it a new one
    session?.end(reason, message);
    agent.peer.close(reason, message);
  }

  #subscribeAgent(agent: AgentConn): void {
    const machineId = agent.identity.machineId;
    const control = this.#subscribe(relaySubjects.machineControl(machineId), (message) => {
      const command = decodeControl(message.data);
      if (command === undefined || command.nodeId === this.nodeId || agent.gone) return;
      if (command.op === 'agent-connected') {
        // A newer socket for this machine opened on another node.
        this.#agentGone(agent, CloseReason.REPLACED);
        agent.peer.close(CloseReason.REPLACED);
      } else if (command.op === 'disconnect-agent') {
        this.#disconnect(agent, toReason(command.reason), command.message || undefined);
      }
    });
    const locate = this.#subscribe(relaySubjects.machineLocate(machineId), (message) => {
      if (agent.gone) return;
      message.respond?.(
        encodeControl({ op: 'located', nodeId: this.nodeId, correlationId: agent.peer.ctx.correlationId }),
      );
    });
    if (control !== undefined) agent.subscriptions.push(control);
    if (locate !== undefined) agent.subscriptions.push(locate);
  }

  #subscribe(subject: string, handler: (message: BusMessage) => void): BusSubscription | undefined {
    try {
      return this.#bus.subscribe(subject, (message) => {
        try {
          handler(message);
        } catch (cause) {
          this.reportError(new RelayError(RelayErrorCode.BusFailed, `handling ${subject} failed`, { cause }));
        }
      });
    } catch (cause) {
      this.reportError(
        new RelayError(RelayErrorCode.BusFailed, `subscribing to ${subject} failed`, { cause }),
      );
      return undefined;
    }
  }

  #publish(subject: string, control: Parameters<typeof encodeControl>[0]): void {
    try {
      this.#bus.publish(subject, encodeControl(control));
    } catch (cause) {
      this.reportError(
        new RelayError(RelayErrorCode.BusFailed, `publishing to ${subject} failed`, { cause }),
      );
    }
  }

  #heartbeat(): void {
    const limit = this.options.missedHeartbeats;
    for (const record of this.#records) {
      if (record.phase !== 'live') continue;
      try {
        if (!record.peer.heartbeat(limit)) record.peer.close(CloseReason.HEARTBEAT_TIMEOUT);
      } catch (cause) {
        this.reportError(
          new RelayError(RelayErrorCode.Internal, 'heartbeat failed', {
            cause,
            correlationId: record.peer.ctx.correlationId,
          }),
        );
        record.peer.ws.terminate();
      }
    }
  }
}

/** A close reason from the bus, trusted only if it is one of the table's. */
function toReason(value: number): CloseReason {
  return KNOWN_REASONS.has(value) ? (value as CloseReason) : CloseReason.NORMAL;
}
