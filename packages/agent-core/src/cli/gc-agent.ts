#!/usr/bin/env -S node --single-threaded-gc
// The flag: see node-flags.ts (keep the two the same).
import { runCli } from './run-cli.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onSignal(handler) {
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
    return () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    };
  },
});
// The agent is closed by now; exit explicitly so that nothing a library left referenced (a
// consent dialog's pipe, stdin in flowing mode) keeps a finished one-shot agent alive.
process.exitCode = code;
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
