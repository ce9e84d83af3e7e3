// A minimal RFB 3.8 client (security type None) for reading x11vnc and x0vncserver: asks for
// ZRLE or Tight(+JPEG), keeps one incremental FramebufferUpdateRequest outstanding, and reports
// every FramebufferUpdate with its byte count, arrival time and rectangles. ZRLE and Tight's
// zlib payloads are only delimited (not inflated); Tight JPEG rectangles are decoded when
// `wantPixels()` says so (sampled for PSNR against the source).
import { connect } from 'node:net';
import { wallMs } from './env.mjs';
import { JpegDecoder } from './jpeg-decoder.mjs';

export const ENC = { raw: 0, copyRect: 1, tight: 7, zrle: 16 };
const pseudoQuality = (level) => -32 + level; // -32…-23 → JPEG quality level 0…9
const pseudoCompress = (level) => -256 + level; // -256…-247 → compression level 0…9

/** Buffered socket reader: `read(n)` resolves with exactly n bytes. */
class Reader {
  #chunks = [];
  #length = 0;
  #waiter;
  #error;
  /** Wall time the first byte now at the head of the buffer arrived. */
  headAt = 0;
  #times = [];

  push(chunk, at) {
    this.#chunks.push(chunk);
    this.#times.push(at);
    this.#length += chunk.length;
    this.#wake();
  }

  fail(error) {
    this.#error = error;
    this.#wake();
  }

  #wake() {
    const w = this.#waiter;
    if (w !== undefined && (this.#length >= w.n || this.#error !== undefined)) {
      this.#waiter = undefined;
      w.resolve();
    }
  }

  async read(n) {
    if (n === 0) return Buffer.alloc(0);
    if (this.#length < n) {
      await new Promise((resolve) => {
        this.#waiter = { n, resolve };
        this.#wake();
      });
      if (this.#length < n) throw this.#error ?? new Error('connection closed');
    }
    this.headAt = this.#times[0];
    let out;
    const first = this.#chunks[0];
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) {
        this.#chunks.shift();
        this.#times.shift();
      } else this.#chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let o = 0;
      while (o < n) {
        const c = this.#chunks[0];
        const take = Math.min(c.length, n - o);
        c.copy(out, o, 0, take);
        o += take;
        if (take === c.length) {
          this.#chunks.shift();
          this.#times.shift();
        } else this.#chunks[0] = c.subarray(take);
      }
    }
    this.#length -= n;
    return out;
  }

  /** Arrival time of the next unread byte (or now when none is buffered). */
  nextAt() {
    return this.#times[0] ?? wallMs();
  }
}

/**
 * Connects to an RFB server. `encoding` is 'zrle' or 'tight'; `quality` the Tight JPEG quality
 * level (0–9). Resolves once the first full framebuffer has arrived (`firstFrameMs`).
 */
export async function connectRfb({
  port,
  encoding,
  quality = 8,
  compress = 2,
  onUpdate,
  wantPixels = () => true,
}) {
  const started = wallMs();
  const socket = connect({ host: '127.0.0.1', port, noDelay: true });
  const reader = new Reader();
  socket.on('data', (c) => reader.push(c, wallMs()));
  socket.on('error', (e) => reader.fail(e));
  socket.on('close', () => reader.fail(new Error('closed')));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const version = (await reader.read(12)).toString('latin1');
  if (!version.startsWith('RFB 003.')) throw new Error(`not an RFB server: ${version}`);
  socket.write('RFB 003.008\n');
  const nTypes = (await reader.read(1))[0];
  if (nTypes === 0) {
    const len = (await reader.read(4)).readUInt32BE(0);
    throw new Error(`RFB refused: ${(await reader.read(len)).toString()}`);
  }
  const types = [...(await reader.read(nTypes))];
  if (!types.includes(1)) throw new Error(`server offers no security type None (offers ${types})`);
  socket.write(Buffer.from([1]));
  if ((await reader.read(4)).readUInt32BE(0) !== 0) throw new Error('RFB security handshake failed');
  socket.write(Buffer.from([1])); // ClientInit, shared
  const init = await reader.read(24);
  const width = init.readUInt16BE(0);
  const height = init.readUInt16BE(2);
  const nameLength = init.readUInt32BE(20);
  await reader.read(nameLength);

  // SetPixelFormat: 32 bpp, depth 24, little endian, true colour, 8 bits each, R<<16 G<<8 B.
  const pf = Buffer.alloc(20);
  pf[0] = 0;
  pf[4] = 32;
  pf[5] = 24;
  pf[6] = 0;
  pf[7] = 1;
  pf.writeUInt16BE(255, 8);
  pf.writeUInt16BE(255, 10);
  pf.writeUInt16BE(255, 12);
  pf[14] = 16;
  pf[15] = 8;
  pf[16] = 0;
  socket.write(pf);
  const encodings =
    encoding === 'zrle' ? [ENC.zrle] : [ENC.tight, pseudoQuality(quality), pseudoCompress(compress)];
  const se = Buffer.alloc(4 + 4 * encodings.length);
  se[0] = 2;
  se.writeUInt16BE(encodings.length, 2);
  for (const [i, e] of encodings.entries()) se.writeInt32BE(e, 4 + 4 * i);
  socket.write(se);

  const request = (incremental) => {
    const b = Buffer.alloc(10);
    b[0] = 3;
    b[1] = incremental ? 1 : 0;
    b.writeUInt16BE(width, 6);
    b.writeUInt16BE(height, 8);
    socket.write(b);
  };
  const jpeg = new JpegDecoder();
  const client = {
    width,
    height,
    firstFrameMs: Number.NaN,
    bytes: 0,
    updates: 0,
    closed: false,
    close() {
      client.closed = true;
      socket.destroy();
      jpeg.close();
    },
  };
  let first = true;
  request(false);
  let firstResolve;
  const firstFrame = new Promise((resolve) => {
    firstResolve = resolve;
  });

  const compactLength = async () => {
    let b = (await reader.read(1))[0];
    let len = b & 0x7f;
    let n = 1;
    if (b & 0x80) {
      b = (await reader.read(1))[0];
      len |= (b & 0x7f) << 7;
      n++;
      if (b & 0x80) {
        b = (await reader.read(1))[0];
        len |= b << 14;
        n++;
      }
    }
    return { len, n };
  };

  /** Reads one Tight rectangle body; returns { bytes, lossy, jpeg? }. */
  const tightRect = async (w, h) => {
    const ctrl = (await reader.read(1))[0];
    const comp = ctrl >> 4;
    if (comp === 8) {
      await reader.read(3);
      return { bytes: 4, lossy: false };
    }
    if (comp === 9) {
      const { len, n } = await compactLength();
      const data = await reader.read(len);
      return { bytes: 1 + n + len, lossy: true, jpeg: data };
    }
    if (comp & 0x08) throw new Error(`unsupported Tight compression ${comp}`);
    let bytes = 1;
    let filter = 0;
    let bitsPerPixel = 24;
    if (comp & 0x04) {
      filter = (await reader.read(1))[0];
      bytes++;
    }
    if (filter === 1) {
      const colours = (await reader.read(1))[0] + 1;
      await reader.read(colours * 3);
      bytes += 1 + colours * 3;
      bitsPerPixel = colours <= 2 ? 1 : 8;
    } else if (filter !== 0 && filter !== 2) throw new Error(`unknown Tight filter ${filter}`);
    const raw = bitsPerPixel === 1 ? Math.ceil(w / 8) * h : bitsPerPixel === 8 ? w * h : w * h * 3;
    if (raw < 12) {
      await reader.read(raw);
      return { bytes: bytes + raw, lossy: false };
    }
    const { len, n } = await compactLength();
    await reader.read(len);
    return { bytes: bytes + n + len, lossy: false };
  };

  const loop = async () => {
    for (;;) {
      const type = (await reader.read(1))[0];
      const at = reader.headAt;
      if (type === 0) {
        const head = await reader.read(3);
        const n = head.readUInt16BE(1);
        let bytes = 4;
        const rects = [];
        for (let i = 0; i < n; i++) {
          const r = await reader.read(12);
          const x = r.readUInt16BE(0);
          const y = r.readUInt16BE(2);
          const w = r.readUInt16BE(4);
          const h = r.readUInt16BE(6);
          const enc = r.readInt32BE(8);
          bytes += 12;
          const rect = { x, y, width: w, height: h, lossy: false };
          if (enc === ENC.raw) {
            await reader.read(w * h * 4);
            bytes += w * h * 4;
          } else if (enc === ENC.zrle) {
            const len = (await reader.read(4)).readUInt32BE(0);
            await reader.read(len);
            bytes += 4 + len;
          } else if (enc === ENC.tight) {
            const t = await tightRect(w, h);
            bytes += t.bytes;
            rect.lossy = t.lossy;
            if (t.jpeg !== undefined && wantPixels()) rect.pixels = jpeg.decode(t.jpeg);
          } else if (enc === ENC.copyRect) {
            await reader.read(4);
            bytes += 4;
          } else if (enc === -224) {
            break; // LastRect
          } else {
            throw new Error(`unexpected encoding ${enc}`);
          }
          rects.push(rect);
        }
        // Ask for the next update as soon as this one is in, like a real viewer.
        if (!client.closed) request(true);
        client.bytes += bytes;
        client.updates++;
        const update = { at, end: wallMs(), bytes, rects };
        if (first) {
          first = false;
          client.firstFrameMs = update.end - started;
          firstResolve();
        } else onUpdate?.(update);
      } else if (type === 2) {
        // Bell
      } else if (type === 3) {
        const h = await reader.read(7);
        await reader.read(h.readUInt32BE(3));
      } else if (type === 1) {
        const h = await reader.read(5);
        await reader.read(h.readUInt16BE(3) * 6);
      } else {
        throw new Error(`unexpected RFB message ${type}`);
      }
    }
  };
  client.done = loop().catch((e) => {
    if (!client.closed) console.error(`rfb client: ${e.message}`);
  });
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('no first frame within 15 s')), 15_000).unref(),
  );
  await Promise.race([firstFrame, timeout]);
  return client;
}
