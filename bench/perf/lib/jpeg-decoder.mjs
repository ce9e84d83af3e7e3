// JPEG decoding for the harness's clients (PSNR against the source): libjpeg-turbo's
// tjDecompress2 through koffi, into BGRX.
import koffi from 'koffi';

const TJPF_BGRX = 3;
let fns;

function bind() {
  if (fns !== undefined) return fns;
  const tj = koffi.load('libturbojpeg.so.0');
  fns = {
    init: tj.func('void *tjInitDecompress()'),
    header: tj.func(
      'int tjDecompressHeader3(void *h, const uint8_t *jpeg, unsigned long size, _Out_ int *w, _Out_ int *h2, _Out_ int *sub, _Out_ int *cs)',
    ),
    decompress: tj.func(
      'int tjDecompress2(void *h, const uint8_t *jpeg, unsigned long size, _Out_ uint8_t *dst, int w, int pitch, int h2, int pf, int flags)',
    ),
    error: tj.func('const char *tjGetErrorStr2(void *h)'),
    destroy: tj.func('int tjDestroy(void *h)'),
  };
  return fns;
}

export class JpegDecoder {
  #handle;
  constructor() {
    this.#handle = bind().init();
  }

  /** Decodes a JPEG into a tight BGRX buffer; returns { width, height, data }. */
  decode(jpeg) {
    const f = bind();
    const w = [0];
    const h = [0];
    if (f.header(this.#handle, jpeg, jpeg.byteLength, w, h, [0], [0]) !== 0) {
      throw new Error(`JPEG header: ${f.error(this.#handle)}`);
    }
    const data = Buffer.allocUnsafe(w[0] * h[0] * 4);
    if (f.decompress(this.#handle, jpeg, jpeg.byteLength, data, w[0], w[0] * 4, h[0], TJPF_BGRX, 0) !== 0) {
      throw new Error(`JPEG decode: ${f.error(this.#handle)}`);
    }
    return { width: w[0], height: h[0], data };
  }

  close() {
    if (this.#handle !== undefined) bind().destroy(this.#handle);
    this.#handle = undefined;
  }
}
