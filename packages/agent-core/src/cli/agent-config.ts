import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AgentError, AgentErrorCode } from '../agent-error.js';

/** Default path of the persistent agent's configuration file. */
export const DEFAULT_CONFIG_PATH = '/etc/guruconnect/agent.json';

/**
 * The persistent agent's configuration file (JSON, mode 0600, written by `gc-agent enroll`).
 * Only `server` and `agentKey` are required.
 */
export interface AgentConfigFile {
  /** Server base URL, e.g. `https://support.example.com`. */
  server: string;
  /** Per-machine agent key (`cak_…`). A secret: the file is readable by its owner only. */
  agentKey: string;
  /** Machine id the server assigned at enrollment (informational). */
  machineId?: string;
  /** Site and company the machine was enrolled into (informational). */
  site?: string;
  company?: string;
  /** X display. Default `$DISPLAY` of the service. */
  display?: string;
  /** Frame rate cap. Default 60. */
  fps?: number;
  /** Highest JPEG quality for moving and photographic areas, 1–100. Default 93. */
  maxQuality?: number;
  /** Log level. Default `info`. */
  logLevel?: string;
  /** Serve terminals only, never touch X. Default: only when no X display is reachable. */
  terminalOnly?: boolean;
  /** Serve terminals at all. Default true. */
  terminal?: boolean;
  /** User terminal shells run as. Default the agent's own user. */
  terminalUser?: string;
  /** Allow root shells. Default false. */
  allowRootShell?: boolean;
}

export async function readAgentConfig(path: string): Promise<AgentConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new AgentError(AgentErrorCode.Config, `cannot read the configuration file ${path}`, { cause });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new AgentError(AgentErrorCode.Config, `${path} is not valid JSON`, { cause });
  }
  const config = value as Partial<AgentConfigFile>;
  if (
    typeof config !== 'object' ||
    config === null ||
    typeof config.server !== 'string' ||
    typeof config.agentKey !== 'string'
  ) {
    throw new AgentError(AgentErrorCode.Config, `${path} must contain "server" and "agentKey" strings`);
  }
  if (config.fps !== undefined && (typeof config.fps !== 'number' || config.fps < 1 || config.fps > 240)) {
    throw new AgentError(AgentErrorCode.Config, `${path}: "fps" must be a number from 1 to 240`);
  }
  if (
    config.maxQuality !== undefined &&
    (!Number.isInteger(config.maxQuality) || config.maxQuality < 1 || config.maxQuality > 100)
  ) {
    throw new AgentError(AgentErrorCode.Config, `${path}: "maxQuality" must be an integer from 1 to 100`);
  }
  for (const flag of ['terminalOnly', 'terminal', 'allowRootShell'] as const) {
    if (config[flag] !== undefined && typeof config[flag] !== 'boolean') {
      throw new AgentError(AgentErrorCode.Config, `${path}: "${flag}" must be true or false`);
    }
  }
  if (config.terminalUser !== undefined && typeof config.terminalUser !== 'string') {
    throw new AgentError(AgentErrorCode.Config, `${path}: "terminalUser" must be a string`);
  }
  return config as AgentConfigFile;
}

/**
 * Writes the file atomically with mode 0600: a temporary file in the same directory (created
 * 0600, so the key is never world-readable even for a moment), then rename over the target.
 */
export async function writeAgentConfig(path: string, config: AgentConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temp, path);
  } catch (cause) {
    await rm(temp, { force: true });
    throw new AgentError(AgentErrorCode.Config, `cannot write the configuration file ${path}`, { cause });
  }
}
