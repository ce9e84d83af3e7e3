// Child process of throughput.mjs: one middle in a process of its own, so its CPU can be read
// apart from the endpoints'. argv: bare|relay window. Prints "port <n>"; exits when stdin closes.
import { startBare, startRelay } from './middles.mjs';

const [kind, window] = process.argv.slice(2);
const middle = kind === 'relay' ? await startRelay(Number(window)) : await startBare();
console.log(`port ${middle.port}`);
process.stdin.resume();
process.stdin.on('end', async () => {
  await middle.close();
  process.exit(0);
});
