import os from 'node:os';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { createConnectTransport } from '@connectrpc/connect-web';
import { EnrollmentService } from '@guruconnect/protocol';
import { AgentError, AgentErrorCode } from '../agent-error.js';
import { collectInventory } from '../identity/inventory.js';
import { AGENT_VERSION } from '../version.js';

export interface EnrollOptions {
  /** Server base URL. */
  server: string;
  /** Site enrollment key (`gek_…`). */
  enrollmentKey: string;
  machineUid: string;
  /** fetch implementation. Default the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Request deadline in ms. Default 15 000. */
  timeoutMs?: number;
}

export interface EnrollResult {
  agentKey: string;
  machineId: string;
  site: string;
  company: string;
}

/**
 * Trades a site enrollment key for a per-machine agent key through
 * `guruconnect.agent.v1.EnrollmentService/Enroll` (Connect protocol). A refused key throws
 * `GC_ERR_AGENT_UNAUTHORIZED`; anything else `GC_ERR_AGENT_ENROLL`.
 */
export async function enroll(options: EnrollOptions): Promise<EnrollResult> {
  const transport = createConnectTransport({
    baseUrl: options.server.replace(/\/+$/, ''),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
  const client = createClient(EnrollmentService, transport);
  const inventory = await collectInventory({ machineUid: options.machineUid });
  try {
    const response = await client.enroll(
      {
        enrollmentKey: options.enrollmentKey,
        machineUid: options.machineUid,
        hostname: os.hostname(),
        osName: [inventory.osName, inventory.osVersion].filter((x) => x !== '').join(' '),
        agentVersion: AGENT_VERSION,
      },
      { timeoutMs: options.timeoutMs ?? 15_000 },
    );
    if (response.agentKey === '') {
      throw new AgentError(AgentErrorCode.Enroll, 'the server answered without an agent key');
    }
    return {
      agentKey: response.agentKey,
      machineId: response.machineId,
      site: response.site,
      company: response.company,
    };
  } catch (error) {
    if (error instanceof AgentError) throw error;
    const ce = ConnectError.from(error);
    if (ce.code === Code.Unauthenticated || ce.code === Code.PermissionDenied) {
      throw new AgentError(
        AgentErrorCode.Unauthorized,
        `the server refused the enrollment key: ${ce.rawMessage}`,
        {
          cause: ce,
        },
      );
    }
    throw new AgentError(AgentErrorCode.Enroll, `enrollment failed: ${ce.message}`, { cause: ce });
  }
}
