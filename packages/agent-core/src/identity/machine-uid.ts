import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { AgentError, AgentErrorCode } from '../agent-error.js';

/** HMAC key that makes the uid app-specific (the raw machine id must never leave the machine). */
const UID_KEY = 'guruconnect machine uid v1';

export interface MachineUidOptions {
  /** Files tried in order. Default `/etc/machine-id`, then `/var/lib/dbus/machine-id`. */
  paths?: readonly string[];
}

/**
 * A stable per-machine id: HMAC-SHA256(key 'guruconnect machine uid v1', machine-id) in hex.
 * Stable across reinstalls of the agent, different from what any other app derives from the
 * same machine id, and not reversible to it.
 */
export function machineUid(options: MachineUidOptions = {}): string {
  const paths = options.paths ?? ['/etc/machine-id', '/var/lib/dbus/machine-id'];
  const failures: unknown[] = [];
  for (const path of paths) {
    try {
      const id = readFileSync(path, 'utf8').trim();
      if (id !== '') return createHmac('sha256', UID_KEY).update(id).digest('hex');
      failures.push(new Error(`${path} is empty`));
    } catch (error) {
      failures.push(error);
    }
  }
  throw new AgentError(AgentErrorCode.Config, `no machine id found in ${paths.join(', ')}`, {
    cause: new AggregateError(failures),
  });
}
