// Shared by the agent-core benchmarks: a private Xvfb and a drawing child process.
import { spawn } from 'node:child_process';

/** Starts Xvfb on a free display (-displayfd) and resolves to { display, close }. */
export async function startXvfb(screen = '1920x1080x24') {
  const child = spawn(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', screen, '-nolisten', 'tcp', '-noreset', '+extension', 'MIT-SHM'],
    {
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
    },
  );
  const display = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('Xvfb did not start')), 10_000);
    child.stdio[3].on('data', (c) => {
      out += c;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    child.once('exit', (code) => reject(new Error(`Xvfb exited ${code}`)));
  });
  return {
    display,
    close: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Spawns a process on `display` and resolves once `ready(stdout)` is true (or after `ms`). */
export function spawnOn(display, command, args) {
  return spawn(command, args, {
    env: { ...process.env, DISPLAY: display },
    stdio: ['pipe', 'pipe', 'ignore'],
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
