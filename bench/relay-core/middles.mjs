// The middles the throughput bench compares, startable in the bench's own process or in a
// child (middle-child.mjs): a raw TCP pipe (the floor: no WebSocket parsing at all), a bare ws
// forwarder and a relay-core relay with trivial hooks.
import { createServer } from 'node:http';
import { connect as connectTcp, createServer as createTcpServer } from 'node:net';
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

/**
 * A raw TCP pipe: each accepted connection is piped byte for byte, both ways, to a new
 * connection to `targetPort` (the bench's own ws server). What it costs per GB is what the
 * kernel and Node's stream plumbing cost a middle that parses nothing — the ceiling any
 * WebSocket middle in Node can reach on this machine.
 */
export async function startTcp(targetPort) {
  const sockets = new Set();
  const track = (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createTcpServer((downstream) => {
    const upstream = connectTcp(targetPort, '127.0.0.1');
    track(downstream);
    track(upstream);
    // A reset on either side ends the pair; the bench only ever terminates both ends.
    downstream.on('error', () => upstream.destroy());
    upstream.on('error', () => downstream.destroy());
    downstream.pipe(upstream);
    upstream.pipe(downstream);
  });
  const port = await listen(server);
  return {
    port,
    stats: () => ({ framesDropped: 0 }),
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
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
