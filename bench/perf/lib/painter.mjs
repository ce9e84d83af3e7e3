// Child process: paints a workload onto the root window with XPutImage. argv: display mode
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

function ximage(px, w, h) {
  const mem = koffi.alloc('uint8_t', w * h * 4);
  new Uint8Array(koffi.view(mem, w * h * 4)).set(new Uint8Array(px.buffer, px.byteOffset, px.byteLength));
  return f.createImage(d, f.visual(d, 0), 24, 2, 0, mem, w, h, 32, w * 4);
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
  f.put(d, root, gc, images[k], 0, 0, rect.x, rect.y, rect.width, rect.height);
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
