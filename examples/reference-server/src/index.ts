// Public surface of the reference server (used by its own entry point and by end-to-end tests).

export type { ReferenceServer, ReferenceServerOptions } from './reference-server.js';
export { startReferenceServer } from './reference-server.js';
