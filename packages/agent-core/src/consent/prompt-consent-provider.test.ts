import { PassThrough } from 'node:stream';
import { Channel } from '@guruconnect/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Xvfb } from '../test-support/xvfb.js';
import { consentQuestion, createPromptConsentProvider } from './prompt-consent-provider.js';

const request = {
  requestId: 'r1',
  technicianName: 'Tess Tech',
  technicianEmail: 't@example.com',
  organization: 'Acme IT',
  channels: [Channel.VIEW, Channel.CONTROL],
  timeoutMs: 60_000,
};

let xvfb: Xvfb;
beforeAll(async () => {
  xvfb = await Xvfb.start({ screen: '800x600x24' });
});
afterAll(async () => {
  await xvfb?.close();
});

function sink(): { write(t: string): boolean; text: string } {
  const s = {
    text: '',
    write(t: string): boolean {
      s.text += t;
      return true;
    },
  };
  return s;
}

describe('createPromptConsentProvider', () => {
  it('asks on a piped stdin: y accepts, anything else declines', async () => {
    for (const [line, accepted] of [
      ['y', true],
      ['YES', true],
      ['n', false],
      ['', false],
    ] as const) {
      const input = new PassThrough();
      const output = sink();
      const ask = createPromptConsentProvider({ input, output: output as never, display: null });
      const answer = ask(request, new AbortController().signal);
      input.write(`${line}\n`);
      expect((await answer).accepted).toBe(accepted);
      expect(output.text).toContain(
        'Tess Tech (Acme IT) wants to connect to this computer and view your screen, control mouse and keyboard. Allow? [y/N]',
      );
    }
  });

  it('declines when the agent stops waiting', async () => {
    const controller = new AbortController();
    const answer = createPromptConsentProvider({
      input: new PassThrough(),
      output: sink() as never,
      display: null,
    })(request, controller.signal);
    controller.abort();
    expect(await answer).toEqual({ accepted: false, reason: 'no answer' });
  });

  it('shows a zenity dialog on the display; the user clicking Allow accepts', async () => {
    const ask = createPromptConsentProvider({ input: null, display: xvfb.display });
    const answer = ask(request, new AbortController().signal);
    const id = (await xvfb.exec('xdotool', ['search', '--sync', '--name', 'GuruConnect'], 15_000))
      .trim()
      .split('\n')[0]!;
    await xvfb.exec('xdotool', ['windowfocus', '--sync', id]);
    await xvfb.exec('xdotool', ['key', 'Return']);
    expect(await answer).toEqual({ accepted: true, reason: 'accepted by the user' });
  }, 20_000);

  it('takes the dialog down when answered on stdin first', async () => {
    const input = new PassThrough();
    const ask = createPromptConsentProvider({ input, output: sink() as never, display: xvfb.display });
    const answer = ask(request, new AbortController().signal);
    await xvfb.exec('xdotool', ['search', '--sync', '--name', 'GuruConnect'], 15_000);
    input.write('n\n');
    expect(await answer).toMatchObject({ accepted: false });
    await new Promise((r) => setTimeout(r, 500));
    await expect(xvfb.exec('xdotool', ['search', '--name', 'GuruConnect'])).rejects.toThrow();
  }, 20_000);

  it('phrases the question from the request', () => {
    expect(consentQuestion({ ...request, technicianName: '', organization: '', channels: [] })).toBe(
      'A technician wants to connect to this computer. Allow?',
    );
  });
});
