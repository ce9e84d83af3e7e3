import { randomUUID } from 'node:crypto';
import {
  CloseReason,
  type ConsentResponse,
  type Envelope,
  SessionMode,
  SessionState_State,
} from '@guruconnect/protocol';
import type { AgentConn, SessionHost, ViewerConn } from './connections.js';
import { type RelaySessionState, SessionStateMachine } from './session-state-machine.js';
import { tapTerminal } from './terminal-tap.js';
import { type DeliveryContext, deliverToViewer } from './viewer-delivery.js';
import { stampFrame } from './viewer-stamp.js';

const S = SessionState_State;

/** A refresh asked for a behind viewer is asked again if no key frame came within this. */
const REFRESH_RETRY_MS = 1000;

export interface RelaySessionInit {
  id: string;
  machineId: string;
  mode: SessionMode;
}

/** Snapshot of one session, as `relay.listSessions()` returns it. */
export interface SessionSnapshot {
  sessionId: string;
  machineId: string;
  state: SessionState_State;
  mode: SessionMode;
  agentConnectedAt: Date | undefined;
  /** Bytes written to the agent's socket and not yet sent, now (0 without an agent). */
  agentBufferedBytes: number;
  viewers: ViewerSnapshot[];
}

export interface ViewerSnapshot {
  viewerId: string;
  userId: string | undefined;
  viewerName: string;
  joinedAt: Date;
  /** Bytes written to this viewer's socket and not yet sent, now. */
  bufferedBytes: number;
  /** The highest such figure seen right after any send. */
  peakBufferedBytes: number;
}

/**
 * One session: one machine's agent (when bound), any number of viewers, the consent gate and
 * the routing between them. Never throws into the socket handlers except for a bug (a bad
 * state transition), which the relay turns into a 1011 for the socket at hand.
 */
export class RelaySession {
  readonly id: string;
  readonly machineId: string;
  readonly mode: SessionMode;
  readonly createdAt = Date.now();
  readonly viewers = new Map<string, ViewerConn>();
  readonly #host: SessionHost;
  readonly #machine: SessionStateMachine;
  #agent: AgentConn | undefined;
  #consent: 'none' | 'pending' | 'granted' = 'none';
  #consentRequestId = '';
  #consentTimer: NodeJS.Timeout | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  #started = false;
  #hadViewers = false;
  readonly #delivery: DeliveryContext;

  constructor(host: SessionHost, init: RelaySessionInit) {
    this.#host = host;
    this.id = init.id;
    this.machineId = init.machineId;
    // An unspecified mode is treated as the stricter one: consent is asked.
    this.mode = init.mode === SessionMode.UNATTENDED ? SessionMode.UNATTENDED : SessionMode.ATTENDED;
    this.#machine = new SessionStateMachine(S.WAITING_FOR_AGENT);
    this.#delivery = {
      options: host.options,
      counters: host.counters,
      requestRefresh: (viewer) => this.#maybeRefresh(viewer),
    };
  }

  get state(): RelaySessionState {
    return this.#machine.state;
  }

  get agent(): AgentConn | undefined {
    return this.#agent;
  }

  get ended(): boolean {
    return this.#machine.state === S.ENDED;
  }

  /** Whether the agent may be bound now: the session waits for it and is not over. */
  get waitsForAgent(): boolean {
    const state = this.#machine.state;
    return this.#agent === undefined && (state === S.WAITING_FOR_AGENT || state === S.AGENT_LOST);
  }

  /** Whether the session lost its agent and waits for it to come back. */
  get agentWasLost(): boolean {
    return this.#machine.state === S.AGENT_LOST;
  }

  /** A video frame sent to `viewer` was flushed: it may have room again. */
  onVideoFlushed(viewer: ViewerConn): void {
    this.#maybeRefresh(viewer);
  }

  snapshot(): SessionSnapshot {
    return {
      sessionId: this.id,
      machineId: this.machineId,
      state: this.#machine.state,
      mode: this.mode,
      agentConnectedAt: this.#agent?.connectedAt,
      agentBufferedBytes: this.#agent?.peer.bufferedAmount ?? 0,
      viewers: [...this.viewers.values()].map((v) => ({
        viewerId: v.viewerId,
        userId: v.grant.userId,
        viewerName: v.grant.viewerName,
        joinedAt: v.joinedAt,
        bufferedBytes: v.peer.bufferedAmount,
        peakBufferedBytes: v.flow.peakBufferedBytes,
      })),
    };
  }

  /** Binds the machine's agent (first time, or back after AGENT_LOST). */
  attachAgent(agent: AgentConn): void {
    clearTimeout(this.#graceTimer);
    this.#graceTimer = undefined;
    this.#agent = agent;
    agent.session = this;
    for (const viewer of this.viewers.values()) {
      viewer.flow.reset();
      viewer.present = false;
    }
    this.#setState(S.READY);
    this.#evaluate();
  }

  /** The agent socket is gone: wait `agentGraceMs` for it, then end with 4014. */
  detachAgent(): void {
    const agent = this.#agent;
    if (agent === undefined) return;
    agent.session = undefined;
    this.#agent = undefined;
    this.#resumePaused(agent);
    if (this.ended) return;
    if (this.#consent === 'pending') {
      // The prompt died with the agent; ask again when it is back.
      this.#consent = 'none';
      clearTimeout(this.#consentTimer);
      this.#consentTimer = undefined;
    }
    for (const viewer of this.viewers.values()) viewer.present = false;
    this.#setState(S.AGENT_LOST);
    const grace = this.#host.options.agentGraceMs;
    this.#graceTimer = setTimeout(() => {
      this.#graceTimer = undefined;
      this.end(CloseReason.AGENT_DISCONNECTED, 'the agent did not come back');
    }, grace);
  }

  addViewer(viewer: ViewerConn): void {
    this.viewers.set(viewer.viewerId, viewer);
    this.#hadViewers = true;
    viewer.peer.sendEnvelope(this.#stateMessage());
    this.#evaluate();
  }

  /** The viewer's socket closed (or is closing) for `reason`. */
  removeViewer(viewer: ViewerConn, reason: CloseReason): void {
    if (this.viewers.get(viewer.viewerId) !== viewer) return;
    this.viewers.delete(viewer.viewerId);
    clearTimeout(viewer.behindTimer);
    viewer.behindTimer = undefined;
    this.#agent?.pausedViewers.delete(viewer);
    if (viewer.present && this.#agent !== undefined) {
      viewer.present = false;
      this.#agent.peer.sendEnvelope({
        payload: {
          case: 'viewerPresence',
          value: { viewerId: viewer.viewerId, joined: false, displayName: viewer.grant.viewerName },
        },
      });
    }
    this.#host.emit({
      type: 'viewer-left',
      sessionId: this.id,
      viewerId: viewer.viewerId,
      userId: viewer.grant.userId,
      reason,
      at: new Date(),
    });
    if (!this.ended) this.#evaluate();
  }

  /** The agent answered a consent prompt. Stale or unsolicited answers are ignored. */
  onConsentResponse(response: ConsentResponse): void {
    if (this.#consent !== 'pending' || response.requestId !== this.#consentRequestId) return;
    clearTimeout(this.#consentTimer);
    this.#consentTimer = undefined;
    this.#host.emit({
      type: 'consent',
      sessionId: this.id,
      machineId: this.machineId,
      accepted: response.accepted,
      reason: response.reason,
      at: new Date(),
    });
    if (response.accepted) {
      this.#consent = 'granted';
      this.#evaluate();
    } else {
      this.end(CloseReason.CONSENT_DECLINED, response.reason || undefined);
    }
  }

  /**
   * A message from the agent, `data` its received bytes: forwarded as is (the same buffer) to
   * the viewer it names, or to every viewer whose channels allow it. Nothing passes before ACTIVE.
   */
  fromAgent(envelope: Envelope, data: Buffer): void {
    const counters = this.#host.counters;
    if (this.#machine.state !== S.ACTIVE) {
      counters.messagesGated += 1;
      return;
    }
    const target = envelope.viewerId;
    if (envelope.payload.case === 'terminalData' || envelope.payload.case === 'terminalExit') {
      tapTerminal(this.#host, this, target, envelope);
    }
    if (target !== '') {
      const viewer = this.viewers.get(target);
      if (viewer === undefined) counters.framesDropped += 1;
      else deliverToViewer(this.#delivery, viewer, envelope, data);
      return;
    }
    for (const viewer of this.viewers.values()) deliverToViewer(this.#delivery, viewer, envelope, data);
  }

  /**
   * A message from a viewer whose kind and channel were already allowed: forwarded to the agent
   * stamped with the viewer's id. Held back (never queued) before the session is ACTIVE.
   */
  fromViewer(viewer: ViewerConn, envelope: Envelope, data: Buffer): void {
    const payload = envelope.payload;
    if (payload.case === 'frameAck') {
      viewer.flow.ack(Number(payload.value.sequence));
      this.#maybeRefresh(viewer);
    }
    const agent = this.#agent;
    if (this.#machine.state !== S.ACTIVE || agent === undefined) {
      this.#host.counters.messagesGated += 1;
      return;
    }
    if (payload.case === 'terminalOpen' || payload.case === 'terminalResize') {
      tapTerminal(this.#host, this, viewer.viewerId, envelope);
    }
    const stamped = stampFrame(data, viewer.stamp);
    const options = this.#host.options;
    if (agent.peer.bufferedAmount + stamped.byteLength > options.maxBufferedBytes) {
      // Never drop a viewer's input: stop reading that viewer until the agent has drained.
      viewer.peer.ws.pause();
      agent.pausedViewers.add(viewer);
      agent.peer.send(stamped, () => this.#resumePaused(agent));
    } else {
      agent.peer.send(stamped);
    }
    this.#host.counters.bytesRelayed += stamped.byteLength;
    this.#host.counters.framesForwarded += 1;
  }

  /** Ends the session once: viewers closed with `reason`'s code, a support-code agent too. */
  end(reason: CloseReason, message?: string): void {
    if (this.ended) return;
    clearTimeout(this.#consentTimer);
    clearTimeout(this.#graceTimer);
    this.#consentTimer = undefined;
    this.#graceTimer = undefined;
    this.#setState(S.ENDED, reason);
    for (const viewer of this.viewers.values()) {
      clearTimeout(viewer.behindTimer);
      viewer.behindTimer = undefined;
      viewer.peer.close(reason, message);
    }
    const agent = this.#agent;
    let freed: AgentConn | undefined;
    if (agent !== undefined) {
      this.#agent = undefined;
      agent.session = undefined;
      this.#resumePaused(agent);
      for (const viewer of this.viewers.values()) {
        if (!viewer.present) continue;
        viewer.present = false;
        agent.peer.sendEnvelope({
          payload: { case: 'viewerPresence', value: { viewerId: viewer.viewerId, joined: false } },
        });
      }
      // A support-code agent exists for this session only.
      if (agent.identity.sessionId === this.id) agent.peer.close(reason, message);
      else freed = agent;
    }
    this.#host.emit({
      type: 'session-ended',
      sessionId: this.id,
      machineId: this.machineId,
      reason,
      at: new Date(),
    });
    this.#host.sessionEnded(this, freed);
  }

  /** Drives the session forward after any change of agent, viewers or consent. */
  #evaluate(): void {
    const state = this.#machine.state;
    if (state === S.ENDED) return;
    if (this.#agent === undefined) {
      if (this.viewers.size === 0 && state === S.WAITING_FOR_AGENT) this.end(CloseReason.NORMAL);
      return;
    }
    if (this.viewers.size === 0) {
      if (this.mode === SessionMode.UNATTENDED && this.#hadViewers) this.end(CloseReason.NORMAL);
      else if (state !== S.READY) this.#setState(S.READY);
      return;
    }
    if (this.mode === SessionMode.ATTENDED && this.#consent !== 'granted') {
      if (this.#consent === 'none') this.#askConsent(this.#agent);
      if (state !== S.AWAITING_CONSENT) this.#setState(S.AWAITING_CONSENT);
      return;
    }
    if (state !== S.ACTIVE) {
      this.#setState(S.ACTIVE);
      if (!this.#started) {
        this.#started = true;
        this.#host.emit({
          type: 'session-started',
          sessionId: this.id,
          machineId: this.machineId,
          mode: this.mode,
          at: new Date(),
        });
      }
    }
    for (const viewer of this.viewers.values()) {
      if (viewer.present) continue;
      viewer.present = true;
      this.#agent.peer.sendEnvelope({
        payload: {
          case: 'viewerPresence',
          value: {
            viewerId: viewer.viewerId,
            joined: true,
            channels: [...viewer.channels],
            displayName: viewer.grant.viewerName,
            capabilities: [...viewer.capabilities],
          },
        },
      });
    }
  }

  #askConsent(agent: AgentConn): void {
    const first = this.viewers.values().next().value as ViewerConn;
    const deadline = this.#host.options.consentTimeoutMs;
    this.#consent = 'pending';
    this.#consentRequestId = randomUUID();
    agent.peer.sendEnvelope({
      payload: {
        case: 'consentRequest',
        value: {
          requestId: this.#consentRequestId,
          technicianName: first.grant.viewerName,
          channels: [...first.channels],
          // The agent gives up 10 s before the relay does, so its own decline normally wins.
          timeoutMs: deadline > 20_000 ? deadline - 10_000 : deadline,
        },
      },
    });
    this.#consentTimer = setTimeout(() => {
      this.#consentTimer = undefined;
      this.#host.emit({
        type: 'consent',
        sessionId: this.id,
        machineId: this.machineId,
        accepted: false,
        reason: 'timeout',
        at: new Date(),
      });
      this.end(CloseReason.CONSENT_TIMEOUT);
    }, deadline);
  }

  /** Asks the agent for a key frame for `viewer` once it has room again. */
  #maybeRefresh(viewer: ViewerConn): void {
    const agent = this.#agent;
    if (agent === undefined || this.#machine.state !== S.ACTIVE || !viewer.peer.isOpen) return;
    if (!viewer.flow.shouldRequestRefresh(viewer.peer.bufferedAmount, performance.now(), REFRESH_RETRY_MS)) {
      return;
    }
    agent.peer.sendEnvelope({
      viewerId: viewer.viewerId,
      payload: { case: 'refreshRequest', value: { reason: 'flow-control' } },
    });
  }

  /** Viewers paused for a full agent buffer read again (the agent drained or went away). */
  #resumePaused(agent: AgentConn): void {
    for (const viewer of agent.pausedViewers) viewer.peer.ws.resume();
    agent.pausedViewers.clear();
  }

  #setState(to: RelaySessionState, endReason: CloseReason = CloseReason.UNSPECIFIED): void {
    this.#machine.transition(to);
    this.#host.emit({
      type: 'session-state',
      sessionId: this.id,
      machineId: this.machineId,
      state: to,
      at: new Date(),
    });
    const message = this.#stateMessage(endReason);
    for (const viewer of this.viewers.values()) viewer.peer.sendEnvelope(message);
    this.#agent?.peer.sendEnvelope(message);
  }

  #stateMessage(endReason: CloseReason = CloseReason.UNSPECIFIED) {
    return {
      payload: {
        case: 'sessionState' as const,
        value: {
          sessionId: this.id,
          state: this.#machine.state,
          mode: this.mode,
          viewerCount: this.viewers.size,
          machineName: this.#agent?.identity.machineName ?? '',
          endReason,
        },
      },
    };
  }
}
