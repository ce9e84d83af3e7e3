import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AgentHello, Envelope, EnvelopeInit } from '@guruconnect/protocol';
import {
  CONTRACT_VERSION,
  createEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  SessionMode,
} from '@guruconnect/protocol';
import { WebSocket, WebSocketServer } from 'ws';

export interface RelayPeerOptions {
  /** Decides on a hello: accept, or close with a code. Default: accept everything. */
  authenticate?: (
    hello: AgentHello,
  ) => { accept: true; sessionId?: string } | { accept: false; code: number };
  /** Announced heartbeat interval. Default 15 000. */
  heartbeatIntervalMs?: number;
  /** Answer the agent's heartbeats. Default true. */
  answerHeartbeats?: boolean;
  /** Port to listen on (0 = any). Default 0. */
  port?: number;
  /** Which messages to keep in `received` (listeners see all). Default: every one. */
  record?: (envelope: Envelope) => boolean;
  /** Sees the raw bytes the agent sends after the upgrade (WebSocket framing included). */
  onRawData?: (chunk: Buffer) => void;
}

/**
 * The relay side of the agent protocol, for agent tests: a real `ws` server on 127.0.0.1 that
 * answers AgentHello with HelloResult, answers heartbeats, records every message and lets the
 * test speak as the relay or as a viewer (messages stamped with a viewer_id, as the relay does).
 * It is a protocol peer, not a relay: no sessions, no routing.
 */
export class RelayPeer {
  readonly received: Envelope[] = [];
  readonly connections: WebSocket[] = [];
  readonly helloCount = { value: 0 };
  readonly #options: RelayPeerOptions;
  readonly #listeners = new Set<(envelope: Envelope) => void>();
  #server: Server | undefined;
  #wss: WebSocketServer | undefined;
  #port = 0;

  private constructor(options: RelayPeerOptions) {
    this.#options = options;
  }

  static async start(options: RelayPeerOptions = {}): Promise<RelayPeer> {
    const peer = new RelayPeer(options);
    await peer.listen(options.port ?? 0);
    return peer;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The agent socket most recently connected. */
  get socket(): WebSocket | undefined {
    return this.connections.at(-1);
  }

  async listen(port: number): Promise<void> {
    const server = createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req, socket, head) => {
      if (req.url !== '/v1/agent') {
        socket.destroy();
        return;
      }
      const tap = this.#options.onRawData;
      if (tap !== undefined) socket.on('data', (chunk: Buffer) => tap(chunk));
      wss.handleUpgrade(req, socket, head, (ws) => this.#onConnection(ws));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.#wss = wss;
    this.#port = (server.address() as AddressInfo).port;
  }

  #onConnection(ws: WebSocket): void {
    let hello = false;
    ws.on('message', (data: Buffer) => {
      const envelope = decodeEnvelope(data);
      if (this.#options.record?.(envelope) ?? true) this.received.push(envelope);
      for (const listener of this.#listeners) listener(envelope);
      const payload = envelope.payload;
      if (!hello) {
        if (payload.case !== 'agentHello') {
          ws.close(1008);
          return;
        }
        hello = true;
        this.helloCount.value++;
        const verdict = this.#options.authenticate?.(payload.value) ?? { accept: true };
        if (!verdict.accept) {
          ws.close(verdict.code);
          return;
        }
        const attended = payload.value.credential.case === 'supportCode';
        this.#send(ws, {
          payload: {
            case: 'helloResult',
            value: {
              sessionId: verdict.sessionId ?? (attended ? 'session-1' : ''),
              machineId: 'machine-1',
              mode: attended ? SessionMode.ATTENDED : SessionMode.UNATTENDED,
              heartbeatIntervalMs: this.#options.heartbeatIntervalMs ?? 15_000,
              protocolVersion: CONTRACT_VERSION,
              serverVersion: 'relay-peer',
            },
          },
        });
        return;
      }
      if (payload.case === 'heartbeat' && !payload.value.reply && (this.#options.answerHeartbeats ?? true)) {
        this.#send(ws, {
          payload: { case: 'heartbeat', value: { nonce: payload.value.nonce, reply: true } },
        });
      }
    });
    this.connections.push(ws);
  }

  #send(ws: WebSocket, message: EnvelopeInit): void {
    if (ws.readyState === WebSocket.OPEN) ws.send(encodeEnvelope(createEnvelope(message)));
  }

  /** Sends as the relay (or, with `viewerId`, as a viewer's message forwarded by the relay). */
  send(message: EnvelopeInit, viewerId = ''): void {
    const ws = this.socket;
    if (ws === undefined) throw new Error('no agent connected');
    this.#send(ws, { ...message, viewerId });
  }

  /** Calls `listener` with every message from the agent from now on; returns its removal. */
  onMessage(listener: (envelope: Envelope) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Messages of one kind received so far. */
  messages<K extends NonNullable<Envelope['payload']['case']>>(
    kind: K,
  ): Array<Extract<Envelope['payload'], { case: K }>['value'] & { viewerId: string }> {
    return this.received
      .filter((e) => e.payload.case === kind)
      .map((e) => Object.assign(e.payload.value as object, { viewerId: e.viewerId })) as never;
  }

  async waitFor(predicate: (peer: RelayPeer) => boolean, timeoutMs = 10_000): Promise<void> {
    const start = Date.now();
    while (!predicate(this)) {
      if (Date.now() - start > timeoutMs) throw new Error('relay peer: condition not met in time');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Kills the server side: every socket dropped without a close frame, the port released. */
  async kill(): Promise<void> {
    for (const ws of this.connections) ws.terminate();
    await this.#stopServer();
  }

  async close(): Promise<void> {
    for (const ws of this.connections) ws.terminate();
    await this.#stopServer();
  }

  async #stopServer(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    this.#wss?.close();
    this.#wss = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
