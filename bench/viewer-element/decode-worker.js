// Worker entry of the viewer benchmark: decodes one zstd payload and transfers the result back.
import { decompress as fzstdDecompress } from 'fzstd';
import { instantiateWasmDecoder } from '../../packages/viewer-element/dist/zstd-decoder.js';

const ready = instantiateWasmDecoder();

self.onmessage = async (e) => {
  const { id, kind, payload, size } = e.data;
  let out;
  if (kind === 'wasm') {
    out = (await ready).decode(payload, size);
  } else {
    out = fzstdDecompress(payload);
  }
  self.postMessage({ id, out }, [out.buffer]);
};
