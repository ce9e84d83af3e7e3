import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError, AgentErrorCode } from '../agent-error.js';

export interface SystemdUnitOptions {
  /** Unit name without `.service`. Default `gc-agent`. */
  name?: string;
  /** Directory for the unit file. Default `/etc/systemd/system`. */
  unitDir?: string;
  /** Command that starts the agent, e.g. `[process.execPath, '/usr/lib/gc-agent/dist/cli/gc-agent.js']`. */
  command: readonly string[];
  /** Configuration file passed as `run --config`. */
  configPath: string;
  /** X display the service captures. Default `:0`. */
  display?: string;
  /** Run as this user (needs access to the X display). Default root. */
  user?: string;
}

export function renderSystemdUnit(options: SystemdUnitOptions): string {
  const exec = [...options.command, 'run', '--config', options.configPath].map(quoteArg).join(' ');
  return [
    '[Unit]',
    'Description=GuruConnect agent',
    'Wants=network-online.target',
    'After=network-online.target display-manager.service',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    `Environment=DISPLAY=${options.display ?? ':0'}`,
    ...(options.user === undefined ? [] : [`User=${options.user}`]),
    // The agent reconnects on its own; a restart covers crashes only.
    'Restart=on-failure',
    'RestartSec=5',
    'NoNewPrivileges=yes',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

/** Writes the unit file and returns its path. Does not call systemctl. */
export async function installSystemdUnit(options: SystemdUnitOptions): Promise<string> {
  const path = unitPath(options);
  try {
    await mkdir(options.unitDir ?? '/etc/systemd/system', { recursive: true });
    await writeFile(path, renderSystemdUnit(options), { mode: 0o644 });
  } catch (cause) {
    throw new AgentError(AgentErrorCode.Config, `cannot write ${path}`, { cause });
  }
  return path;
}

/** Removes the unit file; returns its path, or undefined when there was none. */
export async function uninstallSystemdUnit(options: {
  name?: string;
  unitDir?: string;
}): Promise<string | undefined> {
  const path = unitPath(options);
  try {
    await rm(path);
    return path;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new AgentError(AgentErrorCode.Config, `cannot remove ${path}`, { cause: error });
  }
}

function unitPath(options: { name?: string; unitDir?: string }): string {
  const name = options.name ?? 'gc-agent';
  if (!/^[A-Za-z0-9@._-]+$/.test(name))
    throw new AgentError(AgentErrorCode.Config, `invalid unit name ${name}`);
  return join(options.unitDir ?? '/etc/systemd/system', `${name}.service`);
}

/** systemd ExecStart quoting: double quotes when needed, with \ and " escaped. */
function quoteArg(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `"${arg.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
