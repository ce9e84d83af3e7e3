// A headless MeshCentral desktop viewer, as the web UI's agent-redir-ws + agent-desktop scripts
// do it: logs in on control.ashx, asks the agent (through the server) for a KVM tunnel on
// meshrelay.ashx, sends the viewer's settings (WebP requested, quality 40, 100 % scale, 50 ms
// frame timer — the web UI's defaults; the Linux agent encodes JPEG whatever the type) and
// reads the tiles. MeshCentral has no frame boundaries on the wire; the agent's KVM process
// captures the screen, sends the changed tiles of that pass in scan order (rows top to bottom,
// left to right, each JPEG starting at a 32×32 tile) and sleeps its frame timer. So one update is
// the tiles of one pass: a tile whose origin is not after the previous one's in scan order, or
// that comes PASS_GAP_MS (the frame timer) after the previous one, starts the next update.
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { wallMs } from './env.mjs';
import { JpegDecoder } from './jpeg-decoder.mjs';
import { MESH_USER, meshControl } from './meshcentral.mjs';

const CMD = {
  picture: 3,
  compression: 5,
  screen: 7,
  pause: 8,
  jumbo: 27,
  error: 65,
  inputLock: 87,
};
/** The web viewer's frame timer (ms the agent's KVM sleeps between capture passes). */
const FRAME_TIMER_MS = 50;
const PASS_GAP_MS = FRAME_TIMER_MS;
const CELL = 16;

/** Width and height from a JPEG's SOF marker (without decoding it). */
function jpegSize(data) {
  let i = 2;
  while (i + 9 < data.length && data[i] === 0xff) {
    const marker = data[i + 1];
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { width: data.readUInt16BE(i + 7), height: data.readUInt16BE(i + 5) };
    }
    i += 2 + data.readUInt16BE(i + 2);
  }
  throw new Error('no SOF marker in a tile');
}

/** A KVM command: [type u16][size u16] … (a jumbo command carries a u32 size, then the inner one). */
function command(buf) {
  let type = buf.readUInt16BE(0);
  let size = buf.readUInt16BE(2);
  let body = buf;
  if (type === CMD.jumbo && size === 8 && buf.length >= 12) {
    size = buf.readUInt32BE(4);
    type = buf.readUInt16BE(8);
    body = buf.subarray(8);
  }
  return { type, size, body };
}

/**
 * First-byte arrival time of each WebSocket message: the socket's (decrypted) chunks are stamped
 * as they arrive, and the messages consume them in order (server frames are unmasked and
 * unfragmented: a 2-, 4- or 10-byte header and the payload).
 */
function arrivalClock(socket) {
  const chunks = [];
  let received = 0;
  let consumed = 0;
  socket.prependListener('data', (c) => {
    received += c.length;
    chunks.push({ at: wallMs(), upto: received });
  });
  return (payloadLength) => {
    const start = consumed;
    consumed += 2 + (payloadLength > 65535 ? 8 : payloadLength > 125 ? 2 : 0) + payloadLength;
    while (chunks.length > 0 && chunks[0].upto <= start) chunks.shift();
    return chunks[0]?.at ?? wallMs();
  };
}

/** Groups tiles into updates, one per capture pass (see above); `emit` gets each complete one. */
function tileGrouper(emit) {
  let group;
  let last;
  let timer;
  const flush = () => {
    if (group === undefined) return;
    const g = group;
    group = undefined;
    emit(g);
  };
  return {
    add(at, end, bytes, rect) {
      const inScanOrder = last !== undefined && (rect.y > last.y || (rect.y === last.y && rect.x > last.x));
      if (group !== undefined && (!inScanOrder || at - group.end >= PASS_GAP_MS)) flush();
      last = rect;
      group ??= { at, end, bytes: 0, rects: [] };
      group.end = end;
      group.bytes += bytes;
      group.rects.push(rect);
      // Nothing for a frame timer: the pass is over. A timer that already fired is re-armed.
      if (timer === undefined) timer = setTimeout(flush, PASS_GAP_MS);
      else timer.refresh();
    },
    close: () => clearTimeout(timer),
  };
}

/** Cells of the screen covered so far; `add` returns true once all are. */
function coverage(width, height) {
  const cols = Math.ceil(width / CELL);
  const rows = Math.ceil(height / CELL);
  const seen = new Uint8Array(cols * rows);
  let left = cols * rows;
  return (r) => {
    for (let cy = Math.floor(r.y / CELL); cy < Math.min(rows, Math.ceil((r.y + r.height) / CELL)); cy++) {
      for (let cx = Math.floor(r.x / CELL); cx < Math.min(cols, Math.ceil((r.x + r.width) / CELL)); cx++) {
        if (seen[cy * cols + cx] === 0) {
          seen[cy * cols + cx] = 1;
          left--;
        }
      }
    }
    return left === 0;
  };
}

const u16 = (n) => [(n >> 8) & 0xff, n & 0xff];

/**
 * Connects to the agent `nodeId` through the server on `port`. Resolves once a whole screen has
 * arrived (`firstFrameMs`); every later update goes to `onUpdate({ at, end, bytes, rects })`.
 * Lossy (every tile is a JPEG) rectangles carry decoded `pixels` when `wantPixels()` says so.
 */
export async function connectMesh({
  port,
  nodeId,
  user = MESH_USER,
  onUpdate,
  wantPixels = () => true,
  imageType = 4,
  quality = 40,
  scaling = 1024,
  frameTimer = FRAME_TIMER_MS,
  timeoutMs = 20_000,
}) {
  // The web UI is logged in before its user clicks Connect: the clock starts at the tunnel.
  const control = await meshControl(port, user);
  const { cookie, rcookie } = await control.request({ action: 'authcookie' }, { byAction: true });
  const started = wallMs();
  const id = randomBytes(8).toString('hex');
  const relay = new WebSocket(
    `wss://127.0.0.1:${port}/meshrelay.ashx?browser=1&p=2&nodeid=${encodeURIComponent(nodeId)}&id=${id}&auth=${cookie}`,
    { rejectUnauthorized: false, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 },
  );
  const jpeg = new JpegDecoder();
  let grouper;
  const client = {
    firstFrameMs: Number.NaN,
    width: 0,
    height: 0,
    bytes: 0,
    updates: 0,
    closed: false,
    close() {
      if (client.closed) return;
      client.closed = true;
      grouper?.close();
      try {
        relay.send('{"ctrlChannel":"102938","type":"close"}');
      } catch {
        // already closed
      }
      relay.terminate();
      control.close();
      jpeg.close();
    },
  };
  let firstResolve;
  let firstReject;
  const firstFrame = new Promise((resolve, reject) => {
    firstResolve = resolve;
    firstReject = reject;
  });
  const send = (bytes) => relay.send(Buffer.from(bytes));
  let covered;
  let first = true;
  grouper = tileGrouper((u) => {
    client.updates++;
    onUpdate?.(u);
  });

  const onTile = (at, length, body) => {
    const data = body.subarray(8);
    const rect = { x: body.readUInt16BE(4), y: body.readUInt16BE(6), ...jpegSize(data), lossy: true };
    if (wantPixels()) rect.pixels = jpeg.decode(data);
    client.bytes += length;
    if (first) {
      if (covered?.(rect)) {
        first = false;
        client.firstFrameMs = wallMs() - started;
        firstResolve();
      }
      return;
    }
    grouper.add(at, wallMs(), length, rect);
  };

  // The web viewer's answer to the screen size: its settings, unpause, and an input-lock query.
  const onScreen = (width, height) => {
    client.width = width;
    client.height = height;
    covered = coverage(width, height);
    send([0, CMD.compression, 0, 10, imageType, quality, ...u16(scaling), ...u16(frameTimer)]);
    send([0, CMD.pause, 0, 5, 0]);
    send([0, CMD.inputLock, 0, 5, 2]);
  };

  let arrival;
  let accumulated;
  relay.on('message', (data, isBinary) => {
    const at = arrival(data.length);
    if (!isBinary) {
      const text = data.toString();
      if (text === 'c' || text === 'cr') {
        relay.send('{"type":"options"}');
        relay.send('2'); // protocol 2: remote desktop
      }
      return;
    }
    // Commands split over several messages are accumulated, as the web viewer does.
    let buf = data;
    if (accumulated !== undefined) {
      accumulated.parts.push(data);
      if (accumulated.parts.reduce((s, p) => s + p.length, 0) < accumulated.size) return;
      buf = Buffer.concat(accumulated.parts);
      accumulated = undefined;
    } else if (buf.length < 4) return;
    const { type, size, body } = command(buf);
    if (size > body.length) {
      accumulated = { size: buf.length - body.length + size, parts: [buf] };
      return;
    }
    if (type === CMD.picture) onTile(at, buf.length, body);
    else if (type === CMD.screen) onScreen(body.readUInt16BE(4), body.readUInt16BE(6));
    else if (type === CMD.error) {
      const message = body.subarray(4, size).toString();
      if (first) firstReject(new Error(`MeshAgent KVM: ${message}`));
      else console.error(`MeshAgent KVM: ${message}`);
    } else if (process.env.GC_BENCH_DEBUG) {
      console.error(`mesh KVM command ${type}: ${body.subarray(0, Math.min(size, 32)).toString('hex')}`);
    }
  });
  // Control frames take their bytes from the stream too (the server sends none today).
  relay.on('ping', (d) => arrival(d.length));
  relay.on('pong', (d) => arrival(d.length));
  relay.on('close', () => {
    if (first) firstReject(new Error('the relay closed before the first frame'));
    else if (!client.closed) console.error('mesh client: the relay closed');
  });
  relay.on('error', (e) => firstReject(e));
  await new Promise((resolve, reject) => {
    relay.once('open', resolve);
    relay.once('error', reject);
  });
  arrival = arrivalClock(relay._socket);
  control.send({
    action: 'msg',
    type: 'tunnel',
    nodeid: nodeId,
    value: `*/meshrelay.ashx?p=2&nodeid=${nodeId}&id=${id}&rauth=${rcookie}`,
    usage: 2,
  });
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`no whole screen within ${timeoutMs / 1000} s`)), timeoutMs).unref(),
  );
  try {
    await Promise.race([firstFrame, timeout]);
  } catch (error) {
    client.close();
    throw error;
  }
  return client;
}
