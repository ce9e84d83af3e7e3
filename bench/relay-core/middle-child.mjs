// Child process of throughput.mjs: one middle in a process of its own, so its CPU can be read
// apart from the endpoints'. argv: tcp|bare|relay window [target-port for tcp]. Prints
// "port <n>"; exits when stdin closes.
import { startBare, startRelay, startTcp } from './middles.mjs';

const [kind, window, target] = process.argv.slice(2);
const middle =
  kind === 'relay'
    ? await startRelay(Number(window))
    : kind === 'tcp'
      ? await startTcp(Number(target))
      : await startBare();
console.log(`port ${middle.port}`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await middle.close();
  process.exit(0);
});
