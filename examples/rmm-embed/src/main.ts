// `npm start -w @guruconnect/rmm-embed`: GC_URL and GC_INTEGRATION_KEY name the GuruConnect
// server and this RMM's integration key; RMM_PORT (default 8090) its own port.
import { startRmmExample } from './rmm-server.js';

const gcUrl = process.env.GC_URL ?? 'http://127.0.0.1:8080';
const integrationKey = process.env.GC_INTEGRATION_KEY;
if (!integrationKey) {
  process.stderr.write('Set GC_INTEGRATION_KEY to an integration key of the GuruConnect server at GC_URL.\n');
  process.exit(2);
}
const rmm = await startRmmExample({ gcUrl, integrationKey, port: Number(process.env.RMM_PORT ?? 8090) });
process.stdout.write(
  `Example RMM on ${rmm.url}\nInstall the agent on the device with:\n  gc-agent run --server ${gcUrl} --agent-key ${rmm.agentKey}\n`,
);
