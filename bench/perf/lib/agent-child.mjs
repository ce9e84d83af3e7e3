// Child process: the real GuruConnect agent (createAgent, unattended key) on a display, talking
// to the relay (createAgent starts it). argv: display relayPort [codec]. Exits when stdin closes or on SIGTERM.
import { createAgent, createConsoleLogger } from '@guruconnect/agent-core';

const [display, port, codec] = process.argv.slice(2);
const agent = createAgent({
  server: `http://127.0.0.1:${port}`,
  agentKey: 'bench-key',
  display,
  logger: createConsoleLogger({ level: 'warn' }),
  ...(codec === undefined || codec === 'default' ? {} : { codec }),
});
agent.onStateChange((s) => {
  if (s.kind === 'connected') console.log('connected');
});
const stop = async () => {
  await agent.close();
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
