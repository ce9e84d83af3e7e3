// Node-side harness for the <gc-viewer> tests: bundles a test page with esbuild (in memory),
// serves it from 127.0.0.1 with a test relay on /v1/viewer speaking the real protocol over a
// real WebSocket, and drives Debian's Chromium through playwright-core.
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Envelope, EnvelopeInit, PayloadCase } from '@guruconnect/protocol';
import { Channel, decodeEnvelope, encodeEnvelope, SessionState_State } from '@guruconnect/protocol';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { type WebSocket, WebSocketServer } from 'ws';
import type { CreateOptions } from './viewer-test-page.js';

const here = dirname(fileURLToPath(import.meta.url));

type PayloadOf<K extends PayloadCase> = Extract<Envelope['payload'], { case: K }>['value'];

/** One viewer socket as the test relay sees it. */
export class TestViewerPeer {
  readonly received: Envelope[] = [];
  readonly #queue: Envelope[] = [];
  readonly #waiters: { kind: PayloadCase; resolve: (e: Envelope) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(
    readonly socket: WebSocket,
    readonly path: string,
  ) {
    socket.on('message', (data: Buffer) => {
      const envelope = decodeEnvelope(new Uint8Array(data));
      this.received.push(envelope);
      const index = this.#waiters.findIndex((w) => w.kind === envelope.payload.case);
      if (index >= 0) {
        const [waiter] = this.#waiters.splice(index, 1);
        waiter!.resolve(envelope);
      } else {
        this.#queue.push(envelope);
      }
    });
    this.closed = new Promise((resolve) =>
      socket.on('close', (code: number, reason: Buffer) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** The next message of `kind` not yet taken (waits up to `timeoutMs`). */
  next<K extends PayloadCase>(kind: K, timeoutMs = 10_000): Promise<PayloadOf<K>> {
    const index = this.#queue.findIndex((e) => e.payload.case === kind);
    if (index >= 0) {
      const [envelope] = this.#queue.splice(index, 1);
      return Promise.resolve(envelope!.payload.value) as Promise<PayloadOf<K>>;
    }
    return new Promise<Envelope['payload']['value']>((resolve, reject) => {
      const waiter = { kind, resolve: (e: Envelope) => resolve(e.payload.value) };
      this.#waiters.push(waiter);
      setTimeout(() => {
        const at = this.#waiters.indexOf(waiter);
        if (at < 0) return;
        this.#waiters.splice(at, 1);
        reject(new Error(`no ${kind} from the viewer within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    }) as Promise<PayloadOf<K>>;
  }

  /** Every message of `kind` received so far (taken or not). */
  all<K extends PayloadCase>(kind: K): PayloadOf<K>[] {
    return this.received.filter((e) => e.payload.case === kind).map((e) => e.payload.value as PayloadOf<K>);
  }

  send(init: EnvelopeInit): void {
    this.socket.send(encodeEnvelope(init));
  }

  /**
   * Round trip through the viewer: everything it sent before answering this heartbeat has
   * arrived once this resolves (one socket, in order).
   */
  async barrier(nonce: bigint): Promise<void> {
    this.send({ payload: { case: 'heartbeat', value: { nonce, reply: false } } });
    for (;;) {
      const reply = await this.next('heartbeat');
      if (reply.reply && reply.nonce === nonce) return;
    }
  }
}

/** A file the page's server serves (see {@link ViewerHarness.serve}). */
export interface ServedFile {
  status?: number;
  type?: string;
  body: string;
}

/** The page, its server, the test relay and the browser, torn down by `close()`. */
export class ViewerHarness {
  readonly peers: TestViewerPeer[] = [];
  /** The Cookie header each request for a served file carried. */
  readonly fileRequests: { path: string; cookie: string | undefined }[];
  readonly #files: Map<string, ServedFile>;
  readonly #waiting: ((peer: TestViewerPeer) => void)[] = [];

  private constructor(
    readonly server: Server,
    readonly wss: WebSocketServer,
    readonly browser: Browser,
    readonly page: Page,
    readonly origin: string,
    files: Map<string, ServedFile>,
    fileRequests: { path: string; cookie: string | undefined }[],
  ) {
    this.#files = files;
    this.fileRequests = fileRequests;
    wss.on('connection', (socket: WebSocket, req: IncomingMessage) => {
      const peer = new TestViewerPeer(socket, req.url ?? '');
      this.peers.push(peer);
      const waiter = this.#waiting.shift();
      if (waiter) waiter(peer);
      else this.#pending.push(peer);
    });
  }

  readonly #pending: TestViewerPeer[] = [];

  static async start(): Promise<ViewerHarness> {
    const bundle = await build({
      entryPoints: [join(here, 'viewer-test-page.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      conditions: ['@guruconnect/source'],
      logLevel: 'silent',
    });
    const script = bundle.outputFiles[0]!.text;
    const html =
      '<!doctype html><meta charset="utf-8"><title>gc-viewer test</title>' +
      '<style>body{margin:0;background:#fff}</style><script type="module" src="/viewer.js"></script>';
    const files = new Map<string, ServedFile>();
    const fileRequests: { path: string; cookie: string | undefined }[] = [];
    const server = createServer((req, res) => {
      const file = files.get(req.url ?? '');
      if (file !== undefined) {
        fileRequests.push({ path: req.url ?? '', cookie: req.headers.cookie });
        res.writeHead(file.status ?? 200, { 'content-type': file.type ?? 'text/plain' }).end(file.body);
      } else if (req.url === '/viewer.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      } else {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
      }
    });
    const wss = new WebSocketServer({ noServer: true });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!req.url?.startsWith('/v1/viewer')) {
        socket.destroy();
        return;
      }
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
      timeout: 30_000,
    });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => 'gcTest' in window);
    return new ViewerHarness(server, wss, browser, page, origin, files, fileRequests);
  }

  /**
   * Creates a `<gc-viewer>` on the page and plays the relay's side of a join: takes the hello,
   * answers with `channels` granted and, unless `active` is false, an ACTIVE session state.
   */
  async join(
    options: Omit<CreateOptions, 'server' | 'session'> & {
      session?: string;
      channels?: Channel[];
      active?: boolean;
    },
  ): Promise<TestViewerPeer> {
    const { channels = [Channel.VIEW, Channel.CONTROL], active = true, ...create } = options;
    const session = options.session ?? 'sess-1';
    await this.page.evaluate((o) => window.gcTest.create(o), {
      token: `tok-${options.id}`,
      ...create,
      server: this.origin,
      session,
    });
    const peer = await this.nextPeer();
    await peer.next('viewerHello');
    peer.send({
      payload: {
        case: 'helloResult',
        value: { sessionId: session, viewerId: `v-${options.id}`, channels, heartbeatIntervalMs: 60_000 },
      },
    });
    if (active)
      peer.send({
        payload: { case: 'sessionState', value: { sessionId: session, state: SessionState_State.ACTIVE } },
      });
    return peer;
  }

  /** Serves `body` at `path` on the page's origin from now on. */
  serve(path: string, file: ServedFile): void {
    this.#files.set(path, file);
  }

  /** The next viewer socket to connect (waits up to `timeoutMs`). */
  nextPeer(timeoutMs = 10_000): Promise<TestViewerPeer> {
    const ready = this.#pending.shift();
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const waiter = (peer: TestViewerPeer) => resolve(peer);
      this.#waiting.push(waiter);
      setTimeout(() => {
        const at = this.#waiting.indexOf(waiter);
        if (at < 0) return;
        this.#waiting.splice(at, 1);
        reject(new Error(`no viewer connected within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
  }

  async close(): Promise<void> {
    await this.browser.close();
    for (const client of this.wss.clients) client.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
