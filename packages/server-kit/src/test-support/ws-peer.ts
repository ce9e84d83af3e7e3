import {
  createEnvelope,
  decodeEnvelope,
  type Envelope,
  type EnvelopeInit,
  encodeEnvelope,
} from '@guruconnect/protocol';
import { WebSocket } from 'ws';

/** A minimal real ws peer (agent or viewer) that answers heartbeats and queues envelopes. */
export class WsPeer {
  readonly ws: WebSocket;
  readonly received: Envelope[] = [];
  readonly errors: Error[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<{ code: number; at: number }>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers, perMessageDeflate: false });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.closed = new Promise((resolve) => {
      this.ws.once('close', (code) => resolve({ code, at: Date.now() }));
    });
    // The close event carries what tests check; errors are kept for debugging.
    this.ws.on('error', (err) => this.errors.push(err));
    this.ws.on('message', (data: Buffer) => {
      const envelope = decodeEnvelope(data);
      if (envelope.payload.case === 'heartbeat' && !envelope.payload.value.reply) {
        this.send({
          payload: { case: 'heartbeat', value: { nonce: envelope.payload.value.nonce, reply: true } },
        });
      }
      this.received.push(envelope);
    });
  }

  send(init: EnvelopeInit): void {
    this.ws.send(encodeEnvelope(createEnvelope(init)));
  }

  async waitFor(kind: NonNullable<Envelope['payload']['case']>, timeoutMs = 5000): Promise<Envelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((e) => e.payload.case === kind);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${kind}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  close(): Promise<{ code: number; at: number }> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.terminate();
    return this.closed;
  }
}
