// Public surface of the rmm-embed example.
export type { RemoteControl } from './remote-control.js';
export { createRemoteControl } from './remote-control.js';
export type { RmmExample, RmmExampleOptions } from './rmm-server.js';
export { startRmmExample } from './rmm-server.js';
