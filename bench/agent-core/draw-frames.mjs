// Child process for the full-screen workload: on each "next\n" on stdin it paints a full
// 1920×1080 desktop-like image (two alternating variants) with XPutImage and answers "done\n".
// In "loop" mode it repaints as fast as it can until killed. Runs outside the agent's process
// so its CPU is not counted as the agent's.
import koffi from 'koffi';

const [display, mode = 'step'] = process.argv.slice(2);
const W = 1920;
const H = 1080;
const x11 = koffi.load('libX11.so.6');
const f = {
  open: x11.func('void *XOpenDisplay(const char *)'),
  root: x11.func('unsigned long XDefaultRootWindow(void *)'),
  visual: x11.func('void *XDefaultVisual(void *, int)'),
  gc: x11.func('void *XCreateGC(void *, unsigned long, unsigned long, void *)'),
  create: x11.func(
    'void *XCreateImage(void *, void *, unsigned int, int, int, void *, unsigned int, unsigned int, int, int)',
  ),
  put: x11.func(
    'int XPutImage(void *, unsigned long, void *, void *, int, int, int, int, unsigned int, unsigned int)',
  ),
  sync: x11.func('int XSync(void *, int)'),
};
const d = f.open(display);
const root = f.root(d);
const gc = f.gc(d, root, 0, null);

function desktop(variant) {
  // Gradient wallpaper, window-like panels and text-like speckle: compresses like a real desktop.
  const px = new Uint32Array(W * H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = ((x >> 2) & 0xff) | (((y >> 2) & 0xff) << 8) | ((((x + y + variant * 97) >> 3) & 0xff) << 16);
      const panel = (x + variant * 240) % 640 < 600 && y % 360 > 40;
      if (panel) v = (x * 7 + y * 13 + variant) % 11 === 0 && y % 18 < 12 ? 0x202020 : 0xf0f0f0;
      px[y * W + x] = v;
    }
  }
  const mem = koffi.alloc('uint8_t', W * H * 4);
  new Uint8Array(koffi.view(mem, W * H * 4)).set(new Uint8Array(px.buffer));
  return f.create(d, f.visual(d, 0), 24, 2, 0, mem, W, H, 32, W * 4);
}
const images = [desktop(0), desktop(1)];
let n = 0;
const paint = () => {
  f.put(d, root, gc, images[n++ % 2], 0, 0, 0, 0, W, H);
  f.sync(d, 0);
};
if (mode === 'loop') {
  process.stdout.write('ready\n');
  const tick = () => {
    paint();
    setTimeout(tick, 1000 / 60); // a 60 Hz full-screen animation
  };
  tick();
} else {
  process.stdout.write('ready\n');
  let buf = '';
  process.stdin.on('data', (c) => {
    buf += c;
    while (buf.includes('\n')) {
      buf = buf.slice(buf.indexOf('\n') + 1);
      paint();
      process.stdout.write('done\n');
    }
  });
}
