import os from 'node:os';
import { create } from '@bufbuild/protobuf';
import type { ConsentRequest, DisplayList, Envelope, EnvelopeInit, Inventory } from '@guruconnect/protocol';
import { Capability, Channel, CONTRACT_VERSION, DisplayListSchema } from '@guruconnect/protocol';
import { AgentError, AgentErrorCode } from './agent-error.js';
import type { AgentOptions } from './agent-options.js';
import type { DisplayInfo } from './capture/screen-capturer.js';
import type { ConsentDecision, ConsentProvider } from './consent/consent-provider.js';
import { createPromptConsentProvider } from './consent/prompt-consent-provider.js';
import { type Desktop, openDesktop } from './desktop.js';
import { collectInventory, inventoryChanged } from './identity/inventory.js';
import { machineUid } from './identity/machine-uid.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import type { ScreenStreamer } from './stream/screen-streamer.js';
import type { TerminalInfo } from './terminal/terminal-manager.js';
import { TerminalManager } from './terminal/terminal-manager.js';
import { AgentConnection } from './transport/agent-connection.js';
import type { ConnectionState } from './transport/connection-state.js';
import { AGENT_VERSION } from './version.js';

/** How an agent ended. */
export interface AgentExit {
  /** The relay's close code when the relay ended it; undefined after `close()`. */
  closeCode: number | undefined;
  /** Set when the agent stopped because of a failure or refusal. */
  error: AgentError | undefined;
}

/** The screen half of the agent; absent in terminal-only mode. */
/**
 * The agent: connects to the relay, answers consent, streams the screen to viewers paced by
 * their acks, injects their input, serves terminals, and reports inventory. In terminal-only
 * mode (no X display) it serves terminals alone. Create with {@link createAgent}.
 */
export class Agent {
  readonly #options: AgentOptions;
  readonly #logger: Logger;
  readonly #desktop: Desktop | undefined;
  readonly #terminals: TerminalManager;
  readonly #connection: AgentConnection;
  readonly #consent: ConsentProvider;
  readonly #consentTimeoutMs: number;
  readonly #uid: string;
  readonly #viewers = new Set<string>();
  readonly #pendingConsent = new Set<AbortController>();
  #inventory: Inventory | undefined;
  #inventoryTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: AgentOptions) {
    if ((options.supportCode === undefined) === (options.agentKey === undefined)) {
      throw new AgentError(AgentErrorCode.Config, 'exactly one of supportCode and agentKey is required');
    }
    this.#options = options;
    this.#logger = options.logger ?? silentLogger;
    this.#uid = options.machineUid ?? machineUid();
    this.#consentTimeoutMs = Math.min(600_000, Math.max(1000, options.consentTimeoutMs ?? 60_000));
    this.#desktop =
      options.terminalOnly === true
        ? undefined
        : openDesktop(options, { logger: this.#logger, send: (message) => this.#send(message) });
    this.#consent =
      options.consentProvider ??
      createPromptConsentProvider(this.#desktop === undefined ? {} : { display: options.display });
    this.#terminals = new TerminalManager({
      ...options.terminal,
      ...(options.allowRootShell === undefined ? {} : { allowRootShell: options.allowRootShell }),
      send: (message) => this.#send(message),
      logger: this.#logger,
    });
    this.#connection = new AgentConnection({
      server: options.server,
      persistent: options.persistent ?? options.agentKey !== undefined,
      hello: () => ({
        credential:
          options.agentKey !== undefined
            ? { case: 'agentKey', value: options.agentKey }
            : { case: 'supportCode', value: options.supportCode as string },
        agentVersion: AGENT_VERSION,
        capabilities: this.#capabilities(),
        machineUid: this.#uid,
        deviceId: options.deviceId ?? '',
        hostname: os.hostname(),
        protocolVersion: CONTRACT_VERSION,
      }),
      ...(options.heartbeatIntervalMs === undefined
        ? {}
        : { heartbeatIntervalMs: options.heartbeatIntervalMs }),
      ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      logger: this.#logger,
      onMessage: (e) => this.#onMessage(e),
      onConnected: () => this.#onConnected(),
      onDisconnected: () => this.#onDisconnected(),
    });
  }

  /** True when the agent serves terminals only (no X display). */
  get terminalOnly(): boolean {
    return this.#desktop === undefined;
  }

  /** Open terminals (viewer, channel, shell pid). */
  get terminals(): TerminalInfo[] {
    return this.#terminals.terminals;
  }

  /** The relay connection's state. */
  get state(): ConnectionState {
    return this.#connection.state;
  }

  onStateChange(listener: (state: ConnectionState, previous: ConnectionState) => void): () => void {
    return this.#connection.onStateChange(listener);
  }

  /** Viewers that may see the screen now. */
  get viewers(): string[] {
    return [...this.#viewers];
  }

  /** Streaming statistics (frames, bytes) since start (all zero in terminal-only mode). */
  get stats(): ScreenStreamer['stats'] {
    return this.#desktop?.streamer.stats ?? { frames: 0, keyFrames: 0, bytes: 0, rects: 0 };
  }

  /** Resolves when the agent has stopped: closed, or ended by the relay in one-shot mode. */
  get done(): Promise<AgentExit> {
    return this.#connection.done.then((s) => ({ closeCode: s.closeCode, error: s.error }));
  }

  start(): this {
    const desktop = this.#desktop;
    if (desktop !== undefined) {
      const displays = desktop.capturer.displays();
      const primary = displays.find((d) => d.primary) ?? displays[0];
      if (primary === undefined)
        throw new AgentError(AgentErrorCode.NoDisplay, 'the X screen has no displays');
      desktop.streamer.setDisplay(primary);
    }
    this.#connection.start();
    const every = Math.min(86_400_000, Math.max(1000, this.#options.inventoryIntervalMs ?? 60_000));
    this.#inventoryTimer = setInterval(() => void this.#refreshInventory(false), every);
    this.#inventoryTimer.unref();
    void this.done.then(() => this.close());
    return this;
  }

  /** Disconnects (close 1000), ends every terminal, releases every held key and all X resources. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#inventoryTimer);
    for (const c of this.#pendingConsent) c.abort();
    this.#desktop?.input.releaseAll();
    await this.#terminals.close();
    await this.#connection.close();
    this.#desktop?.streamer.close();
    this.#desktop?.cursor.close();
    for (const o of [...(this.#desktop?.owned ?? [])].reverse()) o.close();
  }

  #capabilities(): string[] {
    const caps: string[] = this.#options.terminal?.enabled === false ? [] : [Capability.Terminal];
    const desktop = this.#desktop;
    if (desktop === undefined) return caps;
    caps.push(Capability.Desktop, Capability.Cursor, Capability.CodecZstd);
    if (desktop.streamer.codec === 'adaptive') caps.push(Capability.CodecJpeg);
    if (this.#options.scrollDetection !== false) caps.push(Capability.CodecCopy);
    if (desktop.capturer.displays().length > 1) caps.push(Capability.MultiDisplay);
    return caps;
  }

  #send(message: EnvelopeInit): boolean {
    return this.#connection.send(message);
  }

  #onConnected(): void {
    this.#desktop?.streamer.reset();
    void this.#refreshInventory(true);
    if (this.#desktop !== undefined) {
      this.#send({ payload: { case: 'displayList', value: this.#displayList(this.#desktop) } });
    }
  }

  #onDisconnected(): void {
    for (const c of this.#pendingConsent) c.abort();
    void this.#terminals.closeAll('the connection to the relay was lost');
    const desktop = this.#desktop;
    if (desktop !== undefined) {
      desktop.input.releaseAll();
      for (const v of this.#viewers) desktop.streamer.removeViewer(v);
      desktop.streamer.reset();
      desktop.cursor.watch(undefined);
    }
    this.#viewers.clear();
  }

  #displayList(desktop: Desktop): DisplayList {
    return create(DisplayListSchema, {
      displays: desktop.capturer.displays().map((d) => ({ ...d })),
      activeDisplayId: desktop.streamer.display?.id ?? '',
    });
  }

  async #refreshInventory(force: boolean): Promise<void> {
    try {
      const inventory = await collectInventory({ machineUid: this.#uid });
      if (!force && this.#inventory !== undefined && !inventoryChanged(this.#inventory, inventory)) return;
      if (
        this.#send({
          payload: { case: 'agentStatus', value: { inventory, terminalOnly: this.terminalOnly } },
        })
      ) {
        this.#inventory = inventory;
      }
    } catch (error) {
      this.#logger.warn('inventory collection failed', { error: String(error) });
    }
  }

  #onMessage(envelope: Envelope): void {
    const viewerId = envelope.viewerId;
    const payload = envelope.payload;
    const desktop = this.#desktop;
    try {
      if (this.#terminals.handle(viewerId, payload)) return;
      switch (payload.case) {
        case 'consentRequest':
          void this.#answerConsent(payload.value);
          return;
        case 'viewerPresence':
          if (payload.value.joined) {
            this.#viewerJoined(payload.value.viewerId, payload.value.channels, payload.value.capabilities);
          } else this.#viewerLeft(payload.value.viewerId);
          return;
        case 'frameAck':
          desktop?.streamer.ack(viewerId, payload.value.sequence);
          return;
        case 'refreshRequest':
          desktop?.streamer.refresh(viewerId);
          return;
        case 'displaySelect':
          if (desktop !== undefined) this.#selectDisplay(desktop, payload.value.displayId);
          return;
        case 'pointerEvent': {
          if (desktop === undefined || !this.#viewers.has(viewerId)) return;
          const display = this.#findDisplay(desktop, payload.value.displayId) ?? desktop.streamer.display;
          if (display !== undefined) desktop.input.pointer(viewerId, display, payload.value);
          return;
        }
        case 'keyEvent':
          if (desktop !== undefined && this.#viewers.has(viewerId))
            desktop.input.key(viewerId, payload.value.keysym, payload.value.down);
          return;
        case 'sessionState':
          this.#logger.info('session state', {
            state: payload.value.state,
            viewers: payload.value.viewerCount,
          });
          return;
        default:
          this.#logger.debug('message not handled by this agent', { kind: payload.case, viewerId });
      }
    } catch (error) {
      this.#logger.error('failed to handle a relay message', { kind: payload.case, error: String(error) });
    }
  }

  #viewerJoined(viewerId: string, channels: Channel[], capabilities: string[]): void {
    this.#viewers.add(viewerId);
    this.#logger.info('viewer joined', { viewerId, channels });
    this.#terminals.viewerJoined(viewerId, channels);
    const desktop = this.#desktop;
    if (desktop === undefined || (channels.length > 0 && !channels.includes(Channel.VIEW))) return;
    this.#send({ viewerId, payload: { case: 'displayList', value: this.#displayList(desktop) } });
    desktop.cursor.sendShape(viewerId);
    desktop.cursor.watch(desktop.streamer.display);
    desktop.streamer.addViewer(viewerId, capabilities);
  }

  #viewerLeft(viewerId: string): void {
    this.#logger.info('viewer left', { viewerId });
    void this.#terminals.viewerLeft(viewerId);
    this.#viewers.delete(viewerId);
    const desktop = this.#desktop;
    if (desktop === undefined) return;
    desktop.input.release(viewerId);
    desktop.streamer.removeViewer(viewerId);
    if (this.#viewers.size === 0) desktop.cursor.watch(undefined);
  }

  #findDisplay(desktop: Desktop, id: string): DisplayInfo | undefined {
    if (id === '') return undefined;
    return desktop.capturer.displays().find((d) => d.id === id);
  }

  #selectDisplay(desktop: Desktop, id: string): void {
    const display = this.#findDisplay(desktop, id);
    if (display === undefined) {
      this.#logger.warn('viewer selected an unknown display', { displayId: id });
      return;
    }
    desktop.streamer.setDisplay(display);
    if (this.#viewers.size > 0) desktop.cursor.watch(display);
    this.#send({ payload: { case: 'displayList', value: this.#displayList(desktop) } });
  }

  async #answerConsent(request: ConsentRequest): Promise<void> {
    const timeoutMs = Math.min(this.#consentTimeoutMs, request.timeoutMs || this.#consentTimeoutMs);
    const controller = new AbortController();
    this.#pendingConsent.add(controller);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ConsentDecision>((resolve) => {
      timer = setTimeout(
        () => resolve({ accepted: false, reason: `no answer within ${Math.round(timeoutMs / 1000)} s` }),
        timeoutMs,
      );
    });
    const asked = this.#consent(
      {
        requestId: request.requestId,
        technicianName: request.technicianName,
        technicianEmail: request.technicianEmail,
        organization: request.organization,
        channels: request.channels,
        timeoutMs,
      },
      controller.signal,
    ).catch((error: unknown): ConsentDecision => {
      this.#logger.error('consent prompt failed; declining', { error: String(error) });
      return { accepted: false, reason: 'the consent prompt failed' };
    });
    const decision = await Promise.race([asked, timeout]);
    clearTimeout(timer);
    controller.abort();
    this.#pendingConsent.delete(controller);
    this.#logger.info(decision.accepted ? 'consent given' : 'consent declined', { reason: decision.reason });
    this.#send({
      payload: {
        case: 'consentResponse',
        value: { requestId: request.requestId, accepted: decision.accepted, reason: decision.reason },
      },
    });
  }
}

/**
 * Creates and starts an agent. Throws {@link AgentError} `GC_ERR_AGENT_NO_DISPLAY` when no X
 * display is reachable, unless `terminalOnly` is `true` (no X at all) or `'auto'` (terminal-only
 * when the display is unreachable).
 */
export function createAgent(options: AgentOptions): Agent {
  return new Agent(options).start();
}
