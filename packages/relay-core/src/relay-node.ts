import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  type AgentHello,
  CLOSE_CODES,
  CloseReason,
  SessionMode,
  type ViewerHello,
} from '@guruconnect/protocol';
import { WebSocketServer } from 'ws';
import { BusControl } from './bus-control.js';
import {
  type AgentConn,
  createAgentConn,
  createViewerConn,
  helloResult,
  type RelayCounters,
  type SessionHost,
  type ViewerConn,
} from './connections.js';
import { EventHub } from './event-hub.js';
import type { AgentIdentity, RelayEvent, RelayEventOf, RelayEventType, ViewerGrant } from './hooks.js';
import { createInProcessBus } from './in-process-bus.js';
import { forbiddenOriginEvent, isOriginAllowed, refuseUpgrade, upgradeRole } from './origin-policy.js';
import type { Relay, RelayStats } from './relay.js';
import { type BusSubscription, type RelayBus, relaySubjects } from './relay-bus.js';
import { RelayError, RelayErrorCode } from './relay-error.js';
import { type RelayOptions, type ResolvedRelayOptions, resolveRelayOptions } from './relay-options.js';
import { RelaySession, type SessionSnapshot } from './relay-session.js';
import { SocketHandler, type SocketHandlerHost, type SocketRecord } from './socket-handler.js';

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
  readonly #events: EventHub;
  readonly #control: BusControl;
  readonly #heartbeatTimer: NodeJS.Timeout;
  #viewerCount = 0;
  #closing: Promise<void> | undefined;

  constructor(options: RelayOptions) {
    this.options = resolveRelayOptions(options);
    this.#ownsBus = this.options.bus === undefined;
    this.#bus = this.options.bus ?? createInProcessBus({ onError: (e) => this.reportError(e) });
    this.#control = new BusControl(this.#bus, this.options.nodeId, (e) => this.reportError(e));
    this.#events = new EventHub({ onEvent: this.options.onEvent, reportError: (e) => this.reportError(e) });
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
    this.#heartbeatTimer = setInterval(
      () => this.#handler.heartbeat(this.#records),
      this.options.heartbeatIntervalMs,
    );
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
    const role = upgradeRole(query === -1 ? url : url.slice(0, query), this.options);
    if (role === undefined) return false;
    try {
      if (this.closing) {
        refuseUpgrade(socket, 503, 'server shutting down');
        return true;
      }
      const origin = request.headers.origin;
      if (!isOriginAllowed(this.options.allowedOrigins, role, origin, request)) {
        this.counters.violations += 1;
        this.emit(forbiddenOriginEvent(role, request));
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
    return this.#events.on(type, listener);
  }

  emit(event: RelayEvent): void {
    this.#events.emit(event);
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
    // A closing relay has ended (or is ending) every session and its bus is going away.
    if (this.#closing !== undefined) return false;
    this.#control.publish(relaySubjects.sessionControl(sessionId), {
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
    if (this.#closing !== undefined) return false;
    this.#control.publish(relaySubjects.machineControl(machineId), {
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
    return this.#control.ask(relaySubjects.machineLocate(machineId), timeoutMs);
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
    const agent = createAgentConn(peer, identity);
    this.#agents.set(machineId, agent);
    this.#subscribeAgent(agent);
    this.#control.publish(relaySubjects.machineControl(machineId), {
      op: 'agent-connected',
      nodeId: this.nodeId,
      correlationId: peer.ctx.correlationId,
    });
    peer.sendEnvelope(
      helloResult(this.options, {
        sessionId: identity.sessionId ?? '',
        machineId,
        viewerId: '',
        channels: [],
        mode: identity.mode,
        capabilities: hello.capabilities,
      }),
    );
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
    const viewer = createViewerConn(peer, grant, session, this.options, hello.capabilities);
    this.#viewerCount += 1;
    peer.sendEnvelope(
      helloResult(this.options, {
        sessionId: session.id,
        machineId: session.machineId,
        viewerId: viewer.viewerId,
        channels: grant.channels,
        mode: session.mode,
        capabilities: hello.capabilities,
      }),
    );
    this.emit({
      type: 'viewer-joined',
      sessionId: session.id,
      viewerId: viewer.viewerId,
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
    const subscription = this.#control.subscribe(relaySubjects.sessionControl(sessionId), (control) => {
      if (control.op === 'end-session') session.end(toReason(control.reason), control.message || undefined);
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
    const control = this.#control.subscribe(relaySubjects.machineControl(machineId), (command) => {
      if (agent.gone) return;
      if (command.op === 'agent-connected') {
        // A newer socket for this machine opened on another node.
        this.#agentGone(agent, CloseReason.REPLACED);
        agent.peer.close(CloseReason.REPLACED);
      } else if (command.op === 'disconnect-agent') {
        this.#disconnect(agent, toReason(command.reason), command.message || undefined);
      }
    });
    const locate = this.#control.answer(relaySubjects.machineLocate(machineId), () =>
      agent.gone
        ? undefined
        : { op: 'located', nodeId: this.nodeId, correlationId: agent.peer.ctx.correlationId },
    );
    if (control !== undefined) agent.subscriptions.push(control);
    if (locate !== undefined) agent.subscriptions.push(locate);
  }
}

/** A close reason from the bus, trusted only if it is one of the table's. */
function toReason(value: number): CloseReason {
  return KNOWN_REASONS.has(value) ? (value as CloseReason) : CloseReason.NORMAL;
}
