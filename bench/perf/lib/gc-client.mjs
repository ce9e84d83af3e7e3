// A headless GuruConnect viewer: connects to the relay's /v1/viewer, decodes every VideoFrame
// rectangle (zstd through @mongodb-js/zstd, JPEG through libjpeg-turbo) in order, then
// acknowledges it — as the browser viewer does after painting — and reports each frame.

import { Capability, Codec, createEnvelope, decodeEnvelope, encodeEnvelope } from '@guruconnect/protocol';
import { decompress } from '@mongodb-js/zstd';
import WebSocket from 'ws';
import { wallMs } from './env.mjs';
import { JpegDecoder } from './jpeg-decoder.mjs';
import { chunkRects, ZstdStreamDecoder } from './zstd-stream-decoder.mjs';

/**
 * JPEG rectangles are decoded when `wantPixels()` says so (the harness samples them for PSNR);
 * the browser decodes JPEG natively off its main thread, so decoding every one here would
 * measure this process rather than the system. zstd rectangles are always decompressed.
 */
export async function connectGc({ port, onUpdate, onMessage, wantPixels = () => true }) {
  const started = wallMs();
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/viewer`, {
    headers: { origin: 'https://bench' },
    perMessageDeflate: false,
    maxPayload: 8 * 1024 * 1024,
  });
  ws.binaryType = 'nodebuffer';
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const send = (init) => ws.send(encodeEnvelope(createEnvelope(init)));
  send({
    payload: {
      case: 'viewerHello',
      value: {
        token: 'bench',
        sessionId: 'bench-session',
        capabilities: [
          Capability.CodecZstd,
          Capability.CodecJpeg,
          Capability.CodecCopy,
          Capability.CodecZstdStream,
          Capability.CompactFrames,
          Capability.Cursor,
        ],
        clientVersion: 'bench',
      },
    },
  });
  const jpeg = new JpegDecoder();
  const stream = new ZstdStreamDecoder();
  const client = {
    firstFrameMs: Number.NaN,
    bytes: 0,
    updates: 0,
    closed: false,
    send,
    close() {
      client.closed = true;
      ws.terminate();
      jpeg.close();
      stream.close();
    },
  };
  let keyArea = 0;
  let displayArea = 0;
  let firstResolve;
  const firstFrame = new Promise((resolve) => {
    firstResolve = resolve;
  });
  let chain = Promise.resolve();
  ws.on('message', (data) => {
    const at = wallMs();
    const envelope = decodeEnvelope(data, { maxFrameBytes: 8 * 1024 * 1024 });
    const p = envelope.payload;
    if (p.case === 'heartbeat' && !p.value.reply) {
      send({ payload: { case: 'heartbeat', value: { nonce: p.value.nonce, reply: true } } });
      return;
    }
    if (p.case !== 'videoFrame') {
      onMessage?.(envelope, at);
      return;
    }
    const frame = p.value;
    const bytes = data.byteLength;
    chain = chain.then(async () => {
      // Rectangles of one frame decode in parallel (zstd on the thread pool), as the viewer's
      // workers do; frames are still handled in order, and so are stream chunks.
      const rects = await Promise.all(
        frame.rects.map(async (r) => {
          const rect = { x: r.x, y: r.y, width: r.width, height: r.height, lossy: r.codec === Codec.JPEG };
          if (r.codec === Codec.JPEG) {
            if (wantPixels()) rect.pixels = jpeg.decode(r.payload);
          } else if (r.codec === Codec.ZSTD_BGRA) {
            const raw = await decompress(
              Buffer.from(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength),
            );
            if (raw.byteLength !== r.width * r.height * 4)
              throw new Error('zstd rectangle of the wrong size');
          }
          return rect;
        }),
      );
      // Frames still queued when the client closed are dropped (the decoders are freed).
      if (client.closed) return;
      if (frame.streamChunk.byteLength > 0) {
        for (const r of chunkRects(stream.decode(frame.streamChunk))) rects.push({ ...r, lossy: false });
      }
      send({
        payload: {
          case: 'frameAck',
          value: { sequence: frame.sequence, captureTimeUs: frame.captureTimeUs },
        },
      });
      client.bytes += bytes;
      client.updates++;
      const update = { at, end: wallMs(), bytes, rects, keyFrame: frame.keyFrame };
      if (frame.keyFrame) displayArea = frame.displayWidth * frame.displayHeight;
      if (Number.isNaN(client.firstFrameMs)) {
        if (frame.keyFrame) keyArea = 0;
        keyArea += rects.reduce((s, r) => s + r.width * r.height, 0);
        if (displayArea > 0 && keyArea >= displayArea) {
          client.firstFrameMs = update.end - started;
          firstResolve();
        }
        return;
      }
      onUpdate?.(update);
    });
    chain.catch((e) => console.error(`gc client: ${e.message}`));
  });
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('no first frame within 15 s')), 15_000).unref(),
  );
  await Promise.race([firstFrame, timeout]);
  return client;
}
