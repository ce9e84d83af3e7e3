// Every terminal session is recorded as asciicast v2: the file replays to the bytes the agent
// sent, passes a format check, is listed for admins and downloadable by admins only.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuthService,
  Channel,
  createEnvelope,
  createIntegrationClient,
  decodeEnvelope,
  type Envelope,
  type EnvelopeInit,
  encodeEnvelope,
  KeyService,
  management,
  SessionMode,
  SessionService,
  UserService,
} from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ADMIN_EMAIL, startTestServer, type TestServer } from './test-support/test-server.js';

/** A protocol peer on a real socket: sends envelopes, collects what arrives. */
class Peer {
  readonly received: Envelope[] = [];
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.received.push(decodeEnvelope(new Uint8Array(data))));
  }
  static async open(url: string, origin?: string): Promise<Peer> {
    const ws = new WebSocket(url, origin ? { origin } : {});
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    return new Peer(ws);
  }
  send(init: EnvelopeInit): void {
    this.ws.send(encodeEnvelope(createEnvelope(init)));
  }
  async waitFor(kind: string, timeoutMs = 10_000): Promise<Envelope> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find((e) => e.payload.case === kind);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no ${kind}; got ${this.received.map((e) => e.payload.case).join(',')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** asciicast v2: a header object, then [time, code, data] lines with non-decreasing time. */
function validateAsciicast(text: string): {
  header: Record<string, unknown>;
  events: [number, string, string][];
} {
  const lines = text.split('\n').filter((l) => l !== '');
  const header = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  expect(header.version).toBe(2);
  expect(Number.isInteger(header.width) && (header.width as number) > 0).toBe(true);
  expect(Number.isInteger(header.height) && (header.height as number) > 0).toBe(true);
  expect(typeof header.timestamp).toBe('number');
  const events = lines.slice(1).map((l) => JSON.parse(l) as [number, string, string]);
  let last = 0;
  for (const e of events) {
    expect(e).toHaveLength(3);
    expect(typeof e[0]).toBe('number');
    expect(e[0]).toBeGreaterThanOrEqual(last);
    last = e[0];
    expect(['o', 'i', 'r', 'm']).toContain(e[1]);
    expect(typeof e[2]).toBe('string');
    if (e[1] === 'r') expect(e[2]).toMatch(/^\d+x\d+$/);
  }
  return { header, events };
}

const KEY = `gik_${'TerminalRecordingIntegrationKey00'.slice(0, 33)}`;
let t: TestServer;
let adminToken = '';
beforeAll(async () => {
  t = await startTestServer({ GC_INTEGRATION_KEY: KEY });
  adminToken = (await t.client(AuthService).login({ email: ADMIN_EMAIL, password: t.adminPassword })).token;
});
afterAll(() => t.stop());

describe('terminal recording', () => {
  it('records a terminal channel as asciicast v2 that replays to the bytes sent', async () => {
    const gc = createIntegrationClient({ baseUrl: t.server.url, integrationKey: KEY });
    const { agentKey } = await gc.provisionAgentKey({ deviceId: 'term-1' });
    const ws = t.server.url.replace('http', 'ws');
    const agent = await Peer.open(`${ws}/v1/agent`);
    agent.send({
      payload: {
        case: 'agentHello',
        value: {
          credential: { case: 'agentKey', value: agentKey },
          machineUid: 'term-uid',
          hostname: 'server1',
        },
      },
    });
    await agent.waitFor('helloResult');
    const { session } = await gc.createSession({ deviceId: 'term-1', mode: SessionMode.UNATTENDED });
    const sessionId = session?.sessionId ?? '';
    const { token } = await gc.createViewerToken({ sessionId, channels: [Channel.TERMINAL] });
    const viewer = await Peer.open(`${ws}/v1/viewer`, t.server.url);
    viewer.send({ payload: { case: 'viewerHello', value: { token, sessionId } } });
    await viewer.waitFor('helloResult');
    await agent.waitFor('viewerPresence');
    viewer.send({
      payload: { case: 'terminalOpen', value: { channelId: 1, cols: 100, rows: 30, term: 'xterm-256color' } },
    });
    const open = await agent.waitFor('terminalOpen');
    // UTF-8 text whose multibyte characters are split across frames, plus colours and CR/LF.
    const text = 'user@server1:~$ echo $((6*7))\r\n42\r\n\u001b[32mgrön ✓ 日本語\u001b[0m\r\n';
    const bytes = new TextEncoder().encode(text);
    const cuts = [0, 5, 40, 41, 47, 53, bytes.length];
    for (let i = 0; i < cuts.length - 1; i++) {
      agent.send({
        viewerId: open.viewerId,
        payload: { case: 'terminalData', value: { channelId: 1, data: bytes.slice(cuts[i], cuts[i + 1]) } },
      });
    }
    viewer.send({ payload: { case: 'terminalResize', value: { channelId: 1, cols: 120, rows: 40 } } });
    await agent.waitFor('terminalResize');
    agent.send({
      viewerId: open.viewerId,
      payload: { case: 'terminalExit', value: { channelId: 1, exitCode: 0 } },
    });
    await viewer.waitFor('terminalExit');
    agent.ws.close();
    viewer.ws.close();

    const sessions = t.client(SessionService, adminToken);
    let recordings: management.Recording[] = [];
    for (let i = 0; i < 100 && !recordings[0]?.endedAt; i++) {
      recordings = (await sessions.listRecordings({ sessionId })).recordings;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(recordings).toHaveLength(1);
    const rec = recordings[0] as management.Recording;
    expect(rec.sizeBytes).toBe(BigInt(bytes.length));

    const res = await fetch(`${t.server.url}/api/recordings/${rec.recordingId}.cast`, {
      headers: { authorization: `Bearer ${adminToken}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/x-asciicast');
    const cast = await res.text();
    // What the admin downloads is the file on disk, byte for byte.
    const onDisk = readFileSync(join(t.dataDir, 'recordings', await fileNameOf(rec.recordingId)), 'utf8');
    expect(cast).toBe(onDisk);
    const { header, events } = validateAsciicast(cast);
    expect(header).toMatchObject({ width: 100, height: 30, env: { TERM: 'xterm-256color' } });
    const replay = events
      .filter((e) => e[1] === 'o')
      .map((e) => e[2])
      .join('');
    expect(Buffer.from(replay, 'utf8').equals(Buffer.from(bytes))).toBe(true);
    expect(events.filter((e) => e[1] === 'r').map((e) => e[2])).toEqual(['120x40']);

    const audit = await t.server.kit.audit.query({ sessionId });
    expect(audit.events.map((e) => e.type)).toContain('recording.started');
  });

  it('lets only admins download recordings', async () => {
    const rec = (await t.client(SessionService, adminToken).listRecordings({}))
      .recordings[0] as management.Recording;
    const url = `${t.server.url}/api/recordings/${rec.recordingId}.cast`;
    expect((await fetch(url)).status).toBe(401);
    expect((await fetch(url, { headers: { authorization: 'Bearer nonsense' } })).status).toBe(401);
    await t.client(UserService, adminToken).createUser({
      email: 'tech@example.com',
      displayName: 'Tech',
      role: management.Role.TECHNICIAN,
      password: 'technician password 1',
    });
    const tech = (
      await t.client(AuthService).login({ email: 'tech@example.com', password: 'technician password 1' })
    ).token;
    expect((await fetch(url, { headers: { authorization: `Bearer ${tech}` } })).status).toBe(403);
    await expect(t.client(SessionService, tech).listRecordings({})).rejects.toMatchObject({ code: 7 });
    const missing = `${t.server.url}/api/recordings/00000000-0000-4000-8000-000000000000.cast`;
    expect((await fetch(missing, { headers: { authorization: `Bearer ${adminToken}` } })).status).toBe(404);
    // An API token of an admin works too (scripts, backups).
    const api = await t
      .client(KeyService, adminToken)
      .createKey({ kind: management.KeyKind.API_TOKEN, name: 'backup' });
    expect((await fetch(url, { headers: { authorization: `Bearer ${api.secret}` } })).status).toBe(200);
  });
});

async function fileNameOf(recordingId: string): Promise<string> {
  const admin = {
    principal: {
      kind: 'user' as const,
      userId: 'x',
      email: ADMIN_EMAIL,
      role: 'admin' as const,
      via: 'jwt' as const,
    },
  };
  return (await t.server.kit.recordings.get(admin, recordingId)).fileName;
}
