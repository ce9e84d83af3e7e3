// Child process: paints a workload onto the root window with XShmPutImage. argv: display mode
// (video | noise | slides). Commands on stdin: "start", "stop" (repaints the background).
// Prints "ready" once its images exist, and for slides "painted <startWallMs> <index> <syncedWallMs>"
// for each slide (XPutImage issued at start, XSync returned at synced).
import koffi from 'koffi';
import { NOISE, noiseFrame, SCREEN, SLIDES, slideFrame, VIDEO, videoFrame } from './frames.mjs';
import { xlib } from './xlib.mjs';

const [display, mode] = process.argv.slice(2);
const f = xlib();
const d = f.open(display);
if (!d) throw new Error(`cannot open ${display}`);
const root = f.root(d);
const gc = f.gc(d, root, 0, null);
const wall = () => performance.timeOrigin + performance.now();

// MIT-SHM, so each frame reaches the server as one request (as video players do); a plain
// XPutImage is cut by Xlib into 256 KB requests the server applies one by one.
const xext = koffi.load('libXext.so.6');
const libc = koffi.load('libc.so.6');
const SegInfo = koffi.struct('PerfShmSegmentInfo', {
  shmseg: 'unsigned long',
  shmid: 'int',
  shmaddr: 'void *',
  readOnly: 'int',
});
const shm = {
  get: libc.func('int shmget(int key, size_t size, int flag)'),
  at: libc.func('void *shmat(int id, void *addr, int flag)'),
  ctl: libc.func('int shmctl(int id, int cmd, void *buf)'),
  create: xext.func(
    'void *XShmCreateImage(void *d, void *visual, unsigned int depth, int format, void *data, void *shminfo, unsigned int w, unsigned int h)',
  ),
  attach: xext.func('int XShmAttach(void *d, void *shminfo)'),
  put: xext.func(
    'int XShmPutImage(void *d, unsigned long drawable, void *gc, void *image, int sx, int sy, int dx, int dy, unsigned int w, unsigned int h, int sendEvent)',
  ),
};

function ximage(px, w, h) {
  const size = w * h * 4;
  const id = shm.get(0, size, 0o1000 | 0o600);
  const addr = id < 0 ? null : shm.at(id, null, 0);
  if (id < 0 || addr === null || addr === 0xffffffffffffffffn) throw new Error('shmget/shmat failed');
  new Uint8Array(koffi.view(addr, size)).set(new Uint8Array(px.buffer, px.byteOffset, px.byteLength));
  const info = koffi.alloc(SegInfo, 1);
  koffi.encode(info, SegInfo, { shmseg: 0, shmid: id, shmaddr: addr, readOnly: 1 });
  const image = shm.create(d, f.visual(d, 0), 24, 2, addr, info, w, h);
  shm.attach(d, info);
  f.sync(d, 0);
  shm.ctl(id, 0, null); // IPC_RMID: freed when both sides detach (at exit)
  return image;
}

let images;
let rect;
let intervalMs;
if (mode === 'video') {
  images = Array.from({ length: VIDEO.frames }, (_, k) => ximage(videoFrame(k), VIDEO.width, VIDEO.height));
  rect = VIDEO;
  intervalMs = 1000 / VIDEO.fps;
} else if (mode === 'noise') {
  images = Array.from({ length: NOISE.frames }, (_, k) => ximage(noiseFrame(k), SCREEN.width, SCREEN.height));
  rect = { x: 0, y: 0, ...SCREEN };
  intervalMs = 1000 / NOISE.fps;
} else if (mode === 'slides') {
  images = Array.from({ length: SLIDES.frames }, (_, k) =>
    ximage(slideFrame(k), SCREEN.width, SCREEN.height),
  );
  rect = { x: 0, y: 0, ...SCREEN };
  intervalMs = SLIDES.periodMs;
} else throw new Error(`unknown mode ${mode}`);

let timer;
let n = 0;
let next = 0;
function paint() {
  const k = n++ % images.length;
  const started = wall();
  shm.put(d, root, gc, images[k], 0, 0, rect.x, rect.y, rect.width, rect.height, 0);
  f.sync(d, 0);
  if (mode === 'slides') process.stdout.write(`painted ${started.toFixed(3)} ${k} ${wall().toFixed(3)}\n`);
  // Fixed-rate schedule (no drift): the next frame is due intervalMs after this one was.
  next += intervalMs;
  timer = setTimeout(paint, Math.max(0, next - performance.now()));
}
process.stdout.write('ready\n');
let buf = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (c) => {
  buf += c;
  let i = buf.indexOf('\n');
  while (i >= 0) {
    const cmd = buf.slice(0, i);
    buf = buf.slice(i + 1);
    if (cmd === 'start' && timer === undefined) {
      next = performance.now();
      paint();
    } else if (cmd === 'stop') {
      clearTimeout(timer);
      timer = undefined;
      f.clear(d, root);
      f.sync(d, 0);
      process.stdout.write('stopped\n');
    }
    i = buf.indexOf('\n');
  }
});
process.stdin.on('end', () => process.exit(0));
