// Machine plumbing for the side-by-side harness: system packages, one Xvfb, child processes,
// free ports, per-process CPU from /proc.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Wall-clock milliseconds with sub-ms precision, comparable between processes of this machine. */
export const wallMs = () => performance.timeOrigin + performance.now();

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const PACKAGES = { x11vnc: 'x11vnc', x0vncserver: 'tigervnc-scraping-server', libturbojpeg: 'libturbojpeg0' };

function installed(pkg) {
  try {
    return execFileSync('dpkg-query', ['-W', `-f=${'$'}{Status}`, pkg], { encoding: 'utf8' }).includes(
      'install ok installed',
    );
  } catch {
    return false; // dpkg-query exits 1 for an unknown package
  }
}

/**
 * Installs the peers (x11vnc, TigerVNC's x0vncserver) and libturbojpeg with apt-get when they
 * are missing. Idempotent; needs root only when something is missing.
 */
export function ensurePackages(log) {
  const missing = Object.values(PACKAGES).filter((p) => !installed(p));
  if (missing.length === 0) return;
  log(`installing ${missing.join(' ')} (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env, timeout: 180_000 });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
    stdio: 'ignore',
    env,
    timeout: 300_000,
  });
}

const children = new Set();

/** Spawns a child that is killed by `killAll` (and on exit of this process). */
export function spawnChild(command, args, options = {}) {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.on('error', (e) => console.error(`${command}: ${e.message}`));
  return child;
}

/** Kills one child and waits for it (SIGTERM, SIGKILL after 2 s). */
export function stopChild(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function killAll() {
  await Promise.all([...children].map((c) => stopChild(c)));
}
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

/** Lines of a child's stdout as an async queue: `next()` resolves with the next line; `listen(fn)` hands the rest to `fn`. */
export function lines(stream) {
  let buf = '';
  const queue = [];
  const waiters = [];
  let listener;
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf += chunk;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const w = waiters.shift();
      if (w !== undefined) w(line);
      else if (listener !== undefined) listener(line);
      else queue.push(line);
      i = buf.indexOf('\n');
    }
  });
  return {
    next(timeoutMs = 20_000) {
      if (queue.length > 0) return Promise.resolve(queue.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timed out waiting for a line')), timeoutMs);
        waiters.push((line) => {
          clearTimeout(timer);
          resolve(line);
        });
      });
    },
    drain() {
      return queue.splice(0);
    },
    /** From now on, lines nobody waits for go to `fn` (those queued so far first). */
    listen(fn) {
      listener = fn;
      for (const line of queue.splice(0)) fn(line);
    },
  };
}

/** Starts Xvfb on a free display number (-displayfd). */
export async function startXvfb(screen = '1920x1080x24') {
  const child = spawnChild(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', screen, '-nolisten', 'tcp', '-noreset', '+extension', 'MIT-SHM'],
    { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] },
  );
  const display = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not start in 10 s')), 10_000);
    child.stdio[3].on('data', (c) => {
      out += c;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    child.once('exit', (code) => reject(new Error(`Xvfb exited ${code}`)));
  });
  return { display, child, close: () => stopChild(child) };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers that cannot listen on 0). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

/** utime + stime of a process (and its reaped children) in ms, from /proc/<pid>/stat. */
export function cpuMsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14, stime 15.
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return Number.NaN; // the process is gone
  }
}

/** CPU ms of one pid, or the sum over an array of pids (a process and its helpers). */
const cpuMsOfEntry = (entry) =>
  Array.isArray(entry) ? entry.reduce((sum, pid) => sum + cpuMsOf(pid), 0) : cpuMsOf(entry);

/**
 * Samples CPU of several pids: `start()` then `stop()` → cores used per entry over the interval.
 * An entry is a pid or an array of pids counted together.
 */
export function cpuMeter(pids) {
  let t0 = 0;
  let c0 = [];
  return {
    start() {
      t0 = performance.now();
      c0 = pids.map(cpuMsOfEntry);
    },
    stop() {
      const secs = (performance.now() - t0) / 1000;
      return pids.map((entry, i) => (cpuMsOfEntry(entry) - c0[i]) / 1000 / secs);
    },
  };
}

export function machine() {
  const cpus = os.cpus();
  let model = cpus[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/);
    if (m) model = m[1];
  } catch {
    // keep os.cpus()'s model
  }
  return {
    nproc: os.availableParallelism(),
    model,
    kernel: os.release(),
    node: process.version,
    date: new Date().toISOString(),
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
}
