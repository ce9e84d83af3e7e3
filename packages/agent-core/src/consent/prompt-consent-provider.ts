import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Channel } from '@guruconnect/protocol';
import type { ConsentDecision, ConsentProvider, ConsentRequestInfo } from './consent-provider.js';

export interface PromptConsentProviderOptions {
  /** Where answers are read (a TTY or a pipe; one line, y/yes accepts). Default `process.stdin`; null disables. */
  input?: NodeJS.ReadableStream | null;
  /** Where the question is written. Default `process.stderr`. */
  output?: NodeJS.WritableStream;
  /**
   * X display for a zenity dialog. Default `process.env.DISPLAY`; the dialog is shown only when a
   * display is set and `zenity` is on PATH. null disables the dialog.
   */
  display?: string | null;
  /** The zenity executable. Default found on PATH. */
  zenityPath?: string;
}

const CHANNEL_NAMES: Partial<Record<Channel, string>> = {
  [Channel.VIEW]: 'view your screen',
  [Channel.CONTROL]: 'control mouse and keyboard',
  [Channel.TERMINAL]: 'open a terminal',
  [Channel.FILES]: 'transfer files',
  [Channel.CLIPBOARD]: 'share the clipboard',
  [Channel.CHAT]: 'chat',
};

export function consentQuestion(request: ConsentRequestInfo): string {
  const who = request.technicianName || 'A technician';
  const from = request.organization ? ` (${request.organization})` : '';
  const what = request.channels.map((c) => CHANNEL_NAMES[c]).filter((x) => x !== undefined);
  const rights = what.length > 0 ? ` and ${what.join(', ')}` : '';
  return `${who}${from} wants to connect to this computer${rights}. Allow?`;
}

/**
 * The default consent prompt: asks on standard input and, when a display and zenity are
 * available, in a dialog at the same time; the first answer wins and the other prompt is taken
 * down.
 */
export function createPromptConsentProvider(options: PromptConsentProviderOptions = {}): ConsentProvider {
  return (request, signal) =>
    new Promise<ConsentDecision>((resolve) => {
      const cleanups: Array<() => void> = [];
      let settled = false;
      const finish = (decision: ConsentDecision): void => {
        if (settled) return;
        settled = true;
        for (const cleanup of cleanups) cleanup();
        resolve(decision);
      };
      const question = consentQuestion(request);
      const input = options.input === undefined ? process.stdin : options.input;
      if (input !== null)
        cleanups.push(askOnStream(input, options.output ?? process.stderr, question, finish));
      const display = options.display === undefined ? process.env.DISPLAY : options.display;
      const zenity = options.zenityPath ?? findOnPath('zenity');
      if (display && zenity !== undefined)
        cleanups.push(askWithZenity(zenity, display, question, request, finish));
      if (cleanups.length === 0) {
        finish({ accepted: false, reason: 'no way to ask the user (no input and no display)' });
        return;
      }
      const onAbort = (): void => finish({ accepted: false, reason: 'no answer' });
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
    });
}

function askOnStream(
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
  question: string,
  finish: (d: ConsentDecision) => void,
): () => void {
  const rl = createInterface({ input, terminal: false });
  output.write(`${question} [y/N] `);
  rl.once('line', (line) => {
    const yes = /^\s*y(es)?\s*$/i.test(line);
    finish({ accepted: yes, reason: yes ? 'accepted by the user' : 'declined by the user' });
  });
  rl.once('close', () => finish({ accepted: false, reason: 'input closed without an answer' }));
  return () => {
    rl.removeAllListeners('close');
    rl.close();
    // readline resumed the stream; let the process exit once the prompt is gone.
    if (input === process.stdin) process.stdin.pause();
  };
}

function askWithZenity(
  zenity: string,
  display: string,
  question: string,
  request: ConsentRequestInfo,
  finish: (d: ConsentDecision) => void,
): () => void {
  const child = spawn(
    zenity,
    [
      '--question',
      '--title=GuruConnect',
      `--text=${question}`,
      '--ok-label=Allow',
      '--cancel-label=Decline',
      `--timeout=${Math.ceil(request.timeoutMs / 1000)}`,
    ],
    { env: { ...process.env, DISPLAY: display }, stdio: 'ignore' },
  );
  child.once('error', () => undefined); // a zenity that cannot start leaves the stdin prompt
  child.once('exit', (code) => {
    if (code === 0) finish({ accepted: true, reason: 'accepted by the user' });
    else if (code === 1) finish({ accepted: false, reason: 'declined by the user' });
  });
  return () => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory; keep looking
    }
  }
  return undefined;
}
