// Worker entry of the viewer benchmark: decodes one zstd payload and transfers the result back.
import { decompress as fzstdDecompress } from 'fzstd';
import { ZSTDDecoder } from 'zstddec';

const zd = new ZSTDDecoder();
const ready = zd.init();

self.onmessage = async (e) => {
  const { id, kind, payload, size } = e.data;
  let out;
  if (kind === 'wasm') {
    await ready;
    out = zd.decode(payload, size);
  } else {
    out = fzstdDecompress(payload);
  }
  self.postMessage({ id, out }, [out.buffer]);
};
