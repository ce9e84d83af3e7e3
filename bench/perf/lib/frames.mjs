// Deterministic workload images, generated identically in the painter (child process) and in
// the harness (for PSNR): BGRX pixels as Uint32Array (0x00RRGGBB little-endian).

export const SCREEN = { width: 1920, height: 1080 };
/** The moving image region: 640×360 at (640, 360). */
export const VIDEO = { x: 640, y: 360, width: 640, height: 360, frames: 16, fps: 30 };
export const NOISE = { frames: 4, fps: 30 };
export const SLIDES = { frames: 3, periodMs: 1500 };

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const clamp8 = (v) => (v < 0 ? 0 : v > 255 ? 255 : v | 0);

/** Video-like frame k: a drifting colour field, a moving lit disc, soft bands and mild grain. */
export function videoFrame(k) {
  const { width: w, height: h } = VIDEO;
  const px = new Uint32Array(w * h);
  const rnd = mulberry32(1000 + k);
  const t = (k / VIDEO.frames) * Math.PI * 2;
  const cx = w / 2 + Math.cos(t) * w * 0.3;
  const cy = h / 2 + Math.sin(t) * h * 0.3;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const u = x / w;
      const v = y / h;
      let r = 128 + 90 * Math.sin(u * 6.3 + t) * Math.cos(v * 3.1 - t * 0.5);
      let g = 110 + 80 * Math.sin(v * 5.0 + t * 1.3 + u * 2);
      let b = 140 + 70 * Math.cos((u + v) * 4.2 - t);
      const d = Math.hypot(x - cx, y - cy);
      if (d < 70) {
        const k2 = 1 - d / 70;
        r += 120 * k2;
        g += 100 * k2;
        b += 40 * k2;
      }
      const grain = (rnd() - 0.5) * 10;
      px[y * w + x] = (clamp8(r + grain) << 16) | (clamp8(g + grain) << 8) | clamp8(b + grain);
    }
  }
  return px;
}

/** Full-screen 24-bit noise frame k. */
export function noiseFrame(k) {
  const px = new Uint32Array(SCREEN.width * SCREEN.height);
  const rnd = mulberry32(2000 + k);
  for (let i = 0; i < px.length; i++) px[i] = (rnd() * 0x1000000) >>> 0;
  return px;
}

const SLIDE_BG = [0xf4f1e8, 0xe8f0fa, 0xf7e9ef];
const SLIDE_ACCENT = [0x1f4e79, 0x7a2e12, 0x2c6e2f];

/** Slide k: a distinct background, a title bar, text-like bullet lines, shapes. Few colours. */
export function slideFrame(k) {
  const { width: w, height: h } = SCREEN;
  const px = new Uint32Array(w * h).fill(SLIDE_BG[k % SLIDE_BG.length]);
  const rnd = mulberry32(3000 + k);
  const accent = SLIDE_ACCENT[k % SLIDE_ACCENT.length];
  const fill = (x0, y0, x1, y1, c) => {
    for (let y = y0; y < y1; y++) px.fill(c, y * w + x0, y * w + x1);
  };
  fill(0, 0, w, 140, accent);
  // Title "glyphs": white blocks on the bar.
  for (let x = 120; x < 120 + 60 * (14 + k * 3); x += 60) fill(x, 40, x + 44, 100, 0xffffff);
  // Bullet lines of text-like speckle (1-pixel strokes in 8×14 cells).
  for (let line = 0; line < 14; line++) {
    const y0 = 220 + line * 56;
    fill(140, y0 + 10, 156, y0 + 26, accent);
    const len = 60 + Math.floor(rnd() * 100);
    for (let c = 0; c < len; c++) {
      const x0 = 190 + c * 9;
      if (rnd() < 0.15) continue; // word gaps
      for (let gy = 0; gy < 14; gy++) {
        for (let gx = 0; gx < 7; gx++) if (rnd() < 0.35) px[(y0 + gy) * w + x0 + gx] = 0x202020;
      }
    }
  }
  // Shapes on the right.
  fill(1500 - k * 40, 300, 1800 - k * 40, 600, accent);
  fill(1450, 700 + k * 30, 1850, 760 + k * 30, 0xd0a020);
  // Footer.
  fill(0, h - 40, w, h, 0x404040);
  return px;
}
