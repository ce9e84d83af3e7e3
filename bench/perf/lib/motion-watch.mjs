// Sees pointer motion on the X server without polling it: a worker thread with its own Xlib
// connection selects PointerMotionMask on the root window and blocks in poll(2) on the X socket;
// each MotionNotify is stamped (wall clock) in the worker as it is read and posted to the main
// thread. Polling XQueryPointer in a loop instead would keep one of the machine's cores and the
// X server busy exactly while a latency is being measured.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const wallMs = () => performance.timeOrigin + performance.now();

/**
 * Motion events of `display`'s pointer; `waitFor(x, y, since)` resolves with when it got there.
 * Call it right after causing the move: events are delivered through this thread's event loop,
 * so none can arrive before the waiter is registered.
 */
export class MotionWatch {
  #worker;
  #ready;
  #waiters = new Set();

  constructor(display) {
    this.#worker = new Worker(new URL(import.meta.url), { workerData: { display } });
    this.#ready = new Promise((resolve, reject) => {
      this.#worker.once('error', reject);
      this.#worker.on('message', (m) => {
        if (m === 'ready') return resolve();
        for (const w of this.#waiters) w(m);
      });
    });
  }

  ready() {
    return this.#ready;
  }

  /** Resolves with the wall-clock time the pointer reached (x, y) at or after `since`, or undefined after `timeoutMs`. */
  waitFor(x, y, since, timeoutMs = 500) {
    return new Promise((resolve) => {
      const done = (at) => {
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(at);
      };
      const waiter = (m) => {
        if (m.x === x && m.y === y && m.at >= since) done(m.at);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Asks the worker to close its X connection and waits for it to exit (ends it after 1 s). */
  async close() {
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    this.#worker.postMessage('stop');
    const timer = setTimeout(() => void this.#worker.terminate(), 1000);
    await exited;
    clearTimeout(timer);
  }
}

const POINTER_MOTION_MASK = 1 << 6;
const MOTION_NOTIFY = 6;
const POLLIN = 1;

async function watch({ display }) {
  const { default: koffi } = await import('koffi');
  const { xlib } = await import('./xlib.mjs');
  const x = xlib();
  const poll = koffi
    .load('libc.so.6')
    .func('int poll(_Inout_ uint8_t *fds, unsigned long nfds, int timeout)');
  const d = x.open(display);
  if (!d) throw new Error(`cannot open ${display}`);
  x.selectInput(d, x.root(d), POINTER_MOTION_MASK);
  x.flush(d);
  const pfd = Buffer.alloc(8);
  pfd.writeInt32LE(x.connectionNumber(d), 0);
  pfd.writeInt16LE(POLLIN, 4);
  const event = Buffer.alloc(192);
  let stopping = false;
  parentPort.on('message', (m) => {
    if (m === 'stop') stopping = true;
  });
  parentPort.postMessage('ready');
  while (!stopping) {
    // Blocks this thread (not the main one) until the X socket is readable, 50 ms at most so a
    // stop request is seen; XPending then reads whatever arrived.
    poll(pfd, 1, 50);
    while (x.pending(d) > 0) {
      x.nextEvent(d, event);
      if ((event.readInt32LE(0) & 0x7f) !== MOTION_NOTIFY) continue;
      // XMotionEvent on LP64: x_root at 72, y_root at 76.
      parentPort.postMessage({ x: event.readInt32LE(72), y: event.readInt32LE(76), at: wallMs() });
    }
    // Let the stop message in between polls.
    await new Promise((resolve) => setImmediate(resolve));
  }
  x.close(d);
  parentPort.close(); // nothing keeps the worker alive now: it exits
}

if (!isMainThread && workerData?.display !== undefined) await watch(workerData);
