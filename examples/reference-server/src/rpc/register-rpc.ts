import type { ConnectRouter } from '@connectrpc/connect';
import { registerAdminRpc } from './admin-rpc.js';
import { registerAgentRpc } from './agent-rpc.js';
import { registerAuthRpc } from './auth-rpc.js';
import { registerFleetRpc } from './fleet-rpc.js';
import { registerIntegrationRpc } from './integration-rpc.js';
import type { RpcDeps } from './rpc-context.js';

/** Every ConnectRPC service the reference server offers (Connect, gRPC-web and gRPC protocols). */
export function registerRpc(router: ConnectRouter, deps: RpcDeps, serverVersion: string): void {
  registerAuthRpc(router, deps);
  registerFleetRpc(router, deps);
  registerAdminRpc(router, deps);
  registerAgentRpc(router, deps);
  registerIntegrationRpc(router, deps, serverVersion);
}
