// The two middles the throughput bench compares, startable in the bench's own process or in a
// child (middle-child.mjs): a bare ws forwarder and a relay-core relay with trivial hooks.
import { createServer } from 'node:http';
import { Channel, SessionMode } from '@guruconnect/protocol';
import { createRelay } from '@guruconnect/relay-core';
import { WebSocketServer } from 'ws';

export const LIMITS = { maxFrameBytes: 8 * 1024 * 1024, maxControlBytes: 64 * 1024 };

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

async function closeServer(server) {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

/** A ws server that forwards every message from /a to /b and back, untouched. */
export async function startBare() {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: LIMITS.maxFrameBytes,
  });
  const server = createServer();
  const ends = {};
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      const me = req.url === '/a' ? 'a' : 'b';
      ends[me] = ws;
      ws.on('message', (data) => ends[me === 'a' ? 'b' : 'a']?.send(data));
    }),
  );
  const port = await listen(server);
  return {
    port,
    stats: () => ({ framesDropped: 0 }),
    async close() {
      wss.close();
      await closeServer(server);
    },
  };
}

/** A relay-core relay: one unattended machine, viewers granted the view channel. */
export async function startRelay(window) {
  const relay = createRelay({
    maxFrameBytes: LIMITS.maxFrameBytes,
    maxBufferedBytes: 4 * LIMITS.maxFrameBytes,
    videoWindow: window,
    allowedOrigins: ['https://bench'],
    authenticateAgent: async () => ({
      ok: true,
      value: { machineId: 'm1', machineName: 'bench', mode: SessionMode.UNATTENDED },
    }),
    authorizeViewer: async (_token, sessionId) => ({
      ok: true,
      value: {
        sessionId,
        machineId: 'm1',
        mode: SessionMode.UNATTENDED,
        channels: [Channel.VIEW],
        viewerName: 'b',
      },
    }),
  });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => relay.handleUpgrade(req, socket, head) || socket.destroy());
  const port = await listen(server);
  return {
    port,
    stats: () => relay.stats(),
    async close() {
      await relay.close();
      await closeServer(server);
    },
  };
}
