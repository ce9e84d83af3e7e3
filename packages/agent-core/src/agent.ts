import os from 'node:os';
import { create } from '@bufbuild/protobuf';
import type {
  ConsentRequest,
  DisplayList,
  Envelope,
  EnvelopeInit,
  Inventory,
  VideoFrame,
} from '@guruconnect/protocol';
import { Capability, Channel, CONTRACT_VERSION, DisplayListSchema } from '@guruconnect/protocol';
import { AgentError, AgentErrorCode } from './agent-error.js';
import type { AgentOptions } from './agent-options.js';
import type { DisplayInfo, ScreenCapturer } from './capture/screen-capturer.js';
import { X11ScreenCapturer } from './capture/x11-screen-capturer.js';
import type { ConsentDecision, ConsentProvider } from './consent/consent-provider.js';
import { createPromptConsentProvider } from './consent/prompt-consent-provider.js';
import { collectInventory, inventoryChanged } from './identity/inventory.js';
import { machineUid } from './identity/machine-uid.js';
import type { InputInjector } from './input/input-injector.js';
import { ViewerInput } from './input/viewer-input.js';
import { X11InputInjector } from './input/x11-input-injector.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { CursorTracker } from './stream/cursor-tracker.js';
import { ScreenStreamer } from './stream/screen-streamer.js';
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

/**
 * The desktop agent: connects to the relay, answers consent, streams the screen to viewers
 * paced by their acks, injects their input, and reports inventory. Create with {@link createAgent}.
 */
export class Agent {
  readonly #options: AgentOptions;
  readonly #logger: Logger;
  readonly #capturer: ScreenCapturer;
  readonly #injector: InputInjector;
  readonly #owned: Array<{ close(): void }> = [];
  readonly #input: ViewerInput;
  readonly #streamer: ScreenStreamer;
  readonly #cursor: CursorTracker;
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
    this.#consent = options.consentProvider ?? createPromptConsentProvider({ display: options.display });
    this.#consentTimeoutMs = Math.min(600_000, Math.max(1000, options.consentTimeoutMs ?? 60_000));
    const display = options.display === undefined ? {} : { display: options.display };
    try {
      this.#capturer =
        options.capturer ??
        this.#own(
          new X11ScreenCapturer({
            ...display,
            useShm: options.useShm ?? true,
            useDamage: options.useDamage ?? true,
          }),
        );
      this.#injector = options.injector ?? this.#own(new X11InputInjector(display));
    } catch (error) {
      for (const o of this.#owned) o.close();
      throw error;
    }
    const onError = (error: unknown): void =>
      this.#logger.error('screen streaming failed', { error: String(error) });
    this.#input = new ViewerInput({ injector: this.#injector });
    this.#streamer = new ScreenStreamer({
      capturer: this.#capturer,
      send: (frame, viewerId) => this.#sendVideo(frame, viewerId),
      onError,
      ...(options.fps === undefined ? {} : { fps: options.fps }),
      ...(options.window === undefined ? {} : { window: options.window }),
      ...(options.zstdLevel === undefined ? {} : { zstdLevel: options.zstdLevel }),
    });
    this.#cursor = new CursorTracker({
      capturer: this.#capturer,
      send: (message, viewerId) => this.#send({ ...message, viewerId }),
      onError,
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

  /** Streaming statistics (frames, bytes) since start. */
  get stats(): ScreenStreamer['stats'] {
    return this.#streamer.stats;
  }

  /** Resolves when the agent has stopped: closed, or ended by the relay in one-shot mode. */
  get done(): Promise<AgentExit> {
    return this.#connection.done.then((s) => ({ closeCode: s.closeCode, error: s.error }));
  }

  start(): this {
    const primary = this.#capturer.displays().find((d) => d.primary) ?? this.#capturer.displays()[0];
    if (primary === undefined) throw new AgentError(AgentErrorCode.NoDisplay, 'the X screen has no displays');
    this.#streamer.setDisplay(primary);
    this.#connection.start();
    const every = Math.min(86_400_000, Math.max(1000, this.#options.inventoryIntervalMs ?? 60_000));
    this.#inventoryTimer = setInterval(() => void this.#refreshInventory(false), every);
    this.#inventoryTimer.unref();
    void this.done.then(() => this.close());
    return this;
  }

  /** Disconnects (close 1000), releases every held key and all X resources. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#inventoryTimer);
    for (const c of this.#pendingConsent) c.abort();
    this.#input.releaseAll();
    await this.#connection.close();
    this.#streamer.close();
    this.#cursor.close();
    for (const o of this.#owned.reverse()) o.close();
  }

  #own<T extends { close(): void }>(resource: T): T {
    this.#owned.push(resource);
    return resource;
  }

  #capabilities(): string[] {
    const caps: string[] = [Capability.Desktop, Capability.Cursor, Capability.CodecZstd];
    if (this.#capturer.displays().length > 1) caps.push(Capability.MultiDisplay);
    return caps;
  }

  #send(message: EnvelopeInit): boolean {
    return this.#connection.send(message);
  }

  #sendVideo(frame: VideoFrame, viewerId: string): void {
    this.#connection.send({ viewerId, payload: { case: 'videoFrame', value: frame } });
  }

  #onConnected(): void {
    this.#streamer.reset();
    void this.#refreshInventory(true);
    this.#send({ payload: { case: 'displayList', value: this.#displayList() } });
  }

  #onDisconnected(): void {
    for (const c of this.#pendingConsent) c.abort();
    this.#input.releaseAll();
    for (const v of this.#viewers) this.#streamer.removeViewer(v);
    this.#viewers.clear();
    this.#streamer.reset();
    this.#cursor.watch(undefined);
  }

  #displayList(): DisplayList {
    return create(DisplayListSchema, {
      displays: this.#capturer.displays().map((d) => ({ ...d })),
      activeDisplayId: this.#streamer.display?.id ?? '',
    });
  }

  async #refreshInventory(force: boolean): Promise<void> {
    try {
      const inventory = await collectInventory({ machineUid: this.#uid });
      if (!force && this.#inventory !== undefined && !inventoryChanged(this.#inventory, inventory)) return;
      if (this.#send({ payload: { case: 'agentStatus', value: { inventory, terminalOnly: false } } })) {
        this.#inventory = inventory;
      }
    } catch (error) {
      this.#logger.warn('inventory collection failed', { error: String(error) });
    }
  }

  #onMessage(envelope: Envelope): void {
    const viewerId = envelope.viewerId;
    const payload = envelope.payload;
    try {
      switch (payload.case) {
        case 'consentRequest':
          void this.#answerConsent(payload.value);
          return;
        case 'viewerPresence':
          if (payload.value.joined) this.#viewerJoined(payload.value.viewerId, payload.value.channels);
          else this.#viewerLeft(payload.value.viewerId);
          return;
        case 'frameAck':
          this.#streamer.ack(viewerId, payload.value.sequence);
          return;
        case 'refreshRequest':
          this.#streamer.refresh(viewerId);
          return;
        case 'displaySelect':
          this.#selectDisplay(payload.value.displayId);
          return;
        case 'pointerEvent': {
          if (!this.#viewers.has(viewerId)) return;
          const display = this.#findDisplay(payload.value.displayId) ?? this.#streamer.display;
          if (display !== undefined) this.#input.pointer(viewerId, display, payload.value);
          return;
        }
        case 'keyEvent':
          if (this.#viewers.has(viewerId))
            this.#input.key(viewerId, payload.value.keysym, payload.value.down);
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

  #viewerJoined(viewerId: string, channels: Channel[]): void {
    this.#viewers.add(viewerId);
    this.#logger.info('viewer joined', { viewerId, channels });
    if (channels.length > 0 && !channels.includes(Channel.VIEW)) return;
    this.#send({ viewerId, payload: { case: 'displayList', value: this.#displayList() } });
    this.#cursor.sendShape(viewerId);
    this.#cursor.watch(this.#streamer.display);
    this.#streamer.addViewer(viewerId);
  }

  #viewerLeft(viewerId: string): void {
    this.#logger.info('viewer left', { viewerId });
    this.#input.release(viewerId);
    this.#streamer.removeViewer(viewerId);
    this.#viewers.delete(viewerId);
    if (this.#viewers.size === 0) this.#cursor.watch(undefined);
  }

  #findDisplay(id: string): DisplayInfo | undefined {
    if (id === '') return undefined;
    return this.#capturer.displays().find((d) => d.id === id);
  }

  #selectDisplay(id: string): void {
    const display = this.#findDisplay(id);
    if (display === undefined) {
      this.#logger.warn('viewer selected an unknown display', { displayId: id });
      return;
    }
    this.#streamer.setDisplay(display);
    if (this.#viewers.size > 0) this.#cursor.watch(display);
    this.#send({ payload: { case: 'displayList', value: this.#displayList() } });
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

/** Creates and starts an agent. Throws {@link AgentError} `GC_ERR_AGENT_NO_DISPLAY` when no X display is reachable. */
export function createAgent(options: AgentOptions): Agent {
  return new Agent(options).start();
}
