// Browser entry of the viewer benchmark: the built <gc-viewer> (as an integrator bundles it)
// plus the candidate zstd decoders, measured side by side on the same payloads.
import { defineGcViewer } from '@guruconnect/viewer-element';
import { decompress as fzstdDecompress } from 'fzstd';
import { ZSTDDecoder } from 'zstddec';
// The element's own decoder module (not a public export), to time it alone.
import { instantiateWasmDecoder } from '../../packages/viewer-element/dist/zstd-decoder.js';

defineGcViewer();

function timeLoop(fn, minMs) {
  fn(); // warm up (and JIT / wasm tier-up)
  fn();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < minMs) {
    fn();
    n++;
  }
  return (performance.now() - t0) / n;
}

async function timeLoopAsync(fn, minMs) {
  await fn();
  await fn();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < minMs) {
    await fn();
    n++;
  }
  return (performance.now() - t0) / n;
}

function workerDecoder(kind) {
  const worker = new Worker('/worker.js', { type: 'module' });
  let id = 0;
  const pending = new Map();
  worker.onmessage = (e) => {
    pending.get(e.data.id)(e.data.out);
    pending.delete(e.data.id);
  };
  return {
    // The compressed bytes are copied in (the socket keeps its buffer); the decoded bytes are
    // transferred back, as a viewer using a worker would do.
    decode: (payload, size) =>
      new Promise((resolve) => {
        pending.set(++id, resolve);
        worker.postMessage({ id, kind, payload, size });
      }),
    close: () => worker.terminate(),
  };
}

window.bench = {
  /** Decoder throughput on one payload: ms per decode and MB/s of decoded output. */
  async decoders(url, size, minMs) {
    const payload = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const zd = new ZSTDDecoder();
    await zd.init();
    const gc = await instantiateWasmDecoder();
    const result = {};
    const rate = (ms) => ({ ms, mbps: size / 1e6 / (ms / 1000) });
    result['fzstd main'] = rate(timeLoop(() => fzstdDecompress(payload), minMs));
    result['zstddec main'] = rate(timeLoop(() => zd.decode(payload, size), minMs));
    result['gc wasm main'] = rate(timeLoop(() => gc.decode(payload, size), minMs));
    result['gc wasm main, +swizzle'] = rate(
      timeLoop(() => gc.decodeRgba(payload, 1920, size / 4 / 1920), minMs),
    );
    for (const [label, kind] of [['gc wasm worker', 'wasm']]) {
      const w = workerDecoder(kind);
      result[label] = rate(await timeLoopAsync(() => w.decode(payload, size), minMs));
      w.close();
    }
    return result;
  },
  /** The first decode by a freshly instantiated WebAssembly decoder (no tier-up yet), in ms. */
  async coldDecode(url, size) {
    const payload = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const gc = await instantiateWasmDecoder();
    const t0 = performance.now();
    gc.decodeRgba(payload, 1920, size / 4 / 1920);
    return performance.now() - t0;
  },
  /** The stages after decoding, for one full frame: BGRA→RGBA swizzle and putImageData. */
  stages(width, height, minMs) {
    const src = new Uint32Array(width * height).fill(0xff336699);
    const image = new ImageData(width, height);
    const dst = new Uint32Array(image.data.buffer);
    const swizzle = timeLoop(() => {
      for (let i = 0; i < src.length; i++) {
        const v = src[i];
        dst[i] = 0xff000000 | (v & 0xff00) | ((v >>> 16) & 0xff) | ((v & 0xff) << 16);
      }
    }, minMs);
    const canvas = document.createElement('canvas');
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext('2d', { alpha: false });
    const put = timeLoop(() => ctx.putImageData(image, 0, 0), minMs);
    return { swizzle, put };
  },
  create(server) {
    const el = document.createElement('gc-viewer');
    el.style.width = '960px';
    el.style.height = '540px';
    el.server = server;
    el.session = 'bench';
    el.token = 'bench-token';
    for (const type of ['gc-error', 'gc-disconnected', 'gc-connected']) {
      el.addEventListener(type, (e) => console.log(type, e.code ?? '', e.message ?? ''));
    }
    document.body.append(el);
  },
};
