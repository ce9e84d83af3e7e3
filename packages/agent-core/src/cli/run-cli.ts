import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type AgentExit, createAgent } from '../agent.js';
import { AgentError, AgentErrorCode } from '../agent-error.js';
import type { AgentOptions } from '../agent-options.js';
import { machineUid } from '../identity/machine-uid.js';
import { createConsoleLogger, isLogLevel, type LogLevel } from '../logger.js';
import { AGENT_VERSION } from '../version.js';
import type { AgentConfigFile } from './agent-config.js';
import { DEFAULT_CONFIG_PATH, readAgentConfig, writeAgentConfig } from './agent-config.js';
import { enroll } from './enroll.js';
import { ExitCode } from './exit-codes.js';
import { AGENT_NODE_FLAGS } from './node-flags.js';
import { installSystemdUnit, uninstallSystemdUnit } from './systemd-unit.js';

/** Where the CLI writes and how it waits for a stop signal; injectable for tests. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  env: NodeJS.ProcessEnv;
  /** Registers a handler for SIGINT/SIGTERM; returns its removal. */
  onSignal(handler: () => void): () => void;
}

const COMMON = `Common options:
  --display DISPLAY     X display to capture and control (default $DISPLAY)
  --fps N               frame rate cap, 1-240 (default 60)
  --max-quality N       highest JPEG quality for moving and photographic areas,
                        1-100 (default 93); lower it for metered links
  --terminal-only       serve terminals only, never touch X (the default when no
                        X display is reachable)
  --require-display     exit with code 3 instead of running terminal-only when no
                        X display is reachable
  --terminal-user USER  run terminal shells as USER (default: the agent's own user)
  --allow-root-shell    allow terminal shells running as root (refused by default)
  --disable-terminal    refuse every terminal
  --log-level LEVEL     debug | info | warn | error (default info)
  -h, --help            show help`;

const HELP: Record<string, string> = {
  '': `gc-agent ${AGENT_VERSION} — the GuruConnect desktop and terminal agent

Usage: gc-agent <command> [options]

Commands:
  connect            join an attended session with a support code (asks the user for consent)
  run                run the persistent, unattended agent with an agent key
  enroll             trade a site enrollment key for this machine's agent key and write the config
  install-service    write a systemd unit for the persistent agent
  uninstall-service  remove that unit

Run "gc-agent <command> --help" for a command's options.
Exit codes: 0 ok, 1 internal error, 2 usage, 3 no X display (with --require-display), 4 credential refused,
            5 rejected by the server, 6 declined by the user, 7 enrollment failed.`,
  connect: `Usage: gc-agent connect --server URL --code CODE [options]

Connects once with a one-time support code; the user is asked to accept the technician
(on this terminal and, when zenity is installed, in a dialog). Ends when the session ends.

  --server URL          server base URL, e.g. https://support.example.com
  --code CODE           the support code the technician gave you
${COMMON}`,
  run: `Usage: gc-agent run (--server URL --agent-key KEY | --config FILE) [options]

Runs the persistent, unattended agent. Reconnects forever with backoff (1 s base, 30 s cap,
full jitter); a refused key is retried every 30 s and logged.

  --server URL          server base URL
  --agent-key KEY       this machine's agent key (cak_…)
  --config FILE         read server and key from FILE (default ${DEFAULT_CONFIG_PATH} when
                        neither --server nor --agent-key is given)
${COMMON}`,
  enroll: `Usage: gc-agent enroll --server URL --enroll-key KEY [--config FILE]

Enrolls this machine (EnrollmentService/Enroll) and writes the configuration file with
mode 0600 (default ${DEFAULT_CONFIG_PATH}).

  --server URL          server base URL
  --enroll-key KEY      the site enrollment key (gek_…)
  --config FILE         where to write the configuration
  --log-level LEVEL     debug | info | warn | error (default info)
  -h, --help            show help`,
  'install-service': `Usage: gc-agent install-service [--config FILE] [--unit-dir DIR] [--name NAME] [--user USER] [--display DISPLAY]

Writes NAME.service (default gc-agent.service) into DIR (default /etc/systemd/system) running
"gc-agent run --config FILE". Then run: systemctl daemon-reload && systemctl enable --now NAME

  --config FILE         configuration file the service reads (default ${DEFAULT_CONFIG_PATH})
  --unit-dir DIR        unit directory (default /etc/systemd/system)
  --name NAME           unit name (default gc-agent)
  --user USER           run as USER (default root)
  --display DISPLAY     X display of the service (default :0)
  -h, --help            show help`,
  'uninstall-service': `Usage: gc-agent uninstall-service [--unit-dir DIR] [--name NAME]

Removes the unit file. Stop and disable it first: systemctl disable --now NAME

  --unit-dir DIR        unit directory (default /etc/systemd/system)
  --name NAME           unit name (default gc-agent)
  -h, --help            show help`,
};

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  server: { type: 'string' },
  code: { type: 'string' },
  'agent-key': { type: 'string' },
  'enroll-key': { type: 'string' },
  config: { type: 'string' },
  display: { type: 'string' },
  fps: { type: 'string' },
  'max-quality': { type: 'string' },
  'log-level': { type: 'string' },
  'unit-dir': { type: 'string' },
  name: { type: 'string' },
  user: { type: 'string' },
  'terminal-only': { type: 'boolean' },
  'require-display': { type: 'boolean' },
  'terminal-user': { type: 'string' },
  'allow-root-shell': { type: 'boolean' },
  'disable-terminal': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Runs `gc-agent` with `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.stderr.write(`gc-agent: ${(error as Error).message}\n\n${HELP['']}\n`);
    return ExitCode.Usage;
  }
  const command = positionals[0] ?? '';
  const help = HELP[command];
  if (help === undefined) {
    io.stderr.write(`gc-agent: unknown command ${JSON.stringify(command)}\n\n${HELP['']}\n`);
    return ExitCode.Usage;
  }
  if (values.help === true || command === '') {
    io.stdout.write(`${help}\n`);
    return command === '' && values.help !== true ? ExitCode.Usage : ExitCode.Ok;
  }
  try {
    switch (command) {
      case 'connect':
        return await runAgent(values, io, 'connect');
      case 'run':
        return await runAgent(values, io, 'run');
      case 'enroll':
        return await runEnroll(values, io);
      case 'install-service':
        return await runInstall(values, io);
      default:
        return await runUninstall(values, io);
    }
  } catch (error) {
    return report(error, io, command);
  }
}

function report(error: unknown, io: CliIo, command: string): number {
  if (error instanceof UsageError) {
    io.stderr.write(`gc-agent ${command}: ${error.message}\n\n${HELP[command]}\n`);
    return ExitCode.Usage;
  }
  if (error instanceof AgentError) {
    io.stderr.write(`gc-agent ${command}: ${error.message}\n`);
    return exitCodeForError(error);
  }
  io.stderr.write(`gc-agent ${command}: unexpected error: ${String((error as Error)?.stack ?? error)}\n`);
  return ExitCode.Internal;
}

export function exitCodeForError(error: AgentError): number {
  switch (error.code) {
    case AgentErrorCode.NoDisplay:
      return ExitCode.NoDisplay;
    case AgentErrorCode.Unauthorized:
      return ExitCode.Unauthorized;
    case AgentErrorCode.Config:
      return ExitCode.Usage;
    case AgentErrorCode.Enroll:
      return ExitCode.EnrollFailed;
    case AgentErrorCode.Rejected:
      return error.closeCode === 4006 || error.closeCode === 4007 ? ExitCode.Declined : ExitCode.Rejected;
    default:
      return ExitCode.Internal;
  }
}

function logLevel(values: Values, fallback?: string): LogLevel {
  const level = values['log-level'] ?? fallback ?? 'info';
  if (!isLogLevel(level))
    throw new UsageError(`--log-level must be debug, info, warn or error, not ${level}`);
  return level;
}

function fps(values: Values, fallback?: number): number | undefined {
  if (values.fps === undefined) return fallback;
  const n = Number(values.fps);
  if (!Number.isInteger(n) || n < 1 || n > 240)
    throw new UsageError(`--fps must be an integer from 1 to 240`);
  return n;
}

function maxQuality(values: Values, fallback?: number): number | undefined {
  if (values['max-quality'] === undefined) return fallback;
  const n = Number(values['max-quality']);
  if (!Number.isInteger(n) || n < 1 || n > 100)
    throw new UsageError(`--max-quality must be an integer from 1 to 100`);
  return n;
}

async function runAgent(values: Values, io: CliIo, mode: 'connect' | 'run'): Promise<number> {
  let server = values.server;
  let key: { supportCode: string } | { agentKey: string };
  let display = values.display ?? io.env.DISPLAY;
  let level: LogLevel;
  let rate: number | undefined;
  let quality: number | undefined;
  let terminalConfig: AgentConfigFile | undefined;
  if (mode === 'connect') {
    if (server === undefined || values.code === undefined)
      throw new UsageError('--server and --code are required');
    key = { supportCode: values.code };
    level = logLevel(values);
    rate = fps(values);
    quality = maxQuality(values);
  } else if (values.config !== undefined || (server === undefined && values['agent-key'] === undefined)) {
    const config = await readAgentConfig(values.config ?? DEFAULT_CONFIG_PATH);
    terminalConfig = config;
    server = server ?? config.server;
    key = { agentKey: values['agent-key'] ?? config.agentKey };
    display = values.display ?? config.display ?? io.env.DISPLAY;
    level = logLevel(values, config.logLevel);
    rate = fps(values, config.fps);
    quality = maxQuality(values, config.maxQuality);
  } else {
    if (server === undefined || values['agent-key'] === undefined) {
      throw new UsageError('give --server and --agent-key, or --config');
    }
    key = { agentKey: values['agent-key'] };
    level = logLevel(values);
    rate = fps(values);
    quality = maxQuality(values);
  }
  const logger = createConsoleLogger({ level, stream: io.stderr });
  const agent = createAgent({
    server,
    ...key,
    logger,
    ...(display === undefined ? {} : { display }),
    ...(rate === undefined ? {} : { fps: rate }),
    ...(quality === undefined ? {} : { jpegQuality: { max: quality } }),
    ...terminalOptions(values, terminalConfig),
  });
  logger.info(
    `gc-agent ${AGENT_VERSION} ${mode === 'connect' ? 'connecting with a support code' : 'running'}`,
    { server, terminalOnly: agent.terminalOnly },
  );
  const removeSignal = io.onSignal(() => {
    logger.info('stopping');
    void agent.close();
  });
  let exit: AgentExit;
  try {
    exit = await agent.done;
  } finally {
    removeSignal();
    await agent.close();
  }
  // A one-shot session that the technician (or the end user) ended is a normal end, not an error.
  if (exit.error !== undefined && !(exit.closeCode === 1000 || exit.closeCode === 4005)) {
    io.stderr.write(`gc-agent ${mode}: ${exit.error.message}\n`);
    return exitCodeForError(exit.error);
  }
  if (exit.closeCode === 4005) io.stderr.write(`gc-agent ${mode}: the session has ended\n`);
  return ExitCode.Ok;
}

/** The agent's terminal options from the flags, which win over the config file. */
function terminalOptions(
  values: Values,
  config: AgentConfigFile | undefined,
): Pick<AgentOptions, 'terminalOnly' | 'allowRootShell' | 'terminal'> {
  const only = values['terminal-only'] ?? config?.terminalOnly;
  if (only === true && values['require-display'] === true) {
    throw new UsageError('--terminal-only and --require-display exclude each other');
  }
  const user = values['terminal-user'] ?? config?.terminalUser;
  const enabled = values['disable-terminal'] === true ? false : (config?.terminal ?? true);
  return {
    terminalOnly: only === true ? true : values['require-display'] === true ? false : 'auto',
    allowRootShell: values['allow-root-shell'] ?? config?.allowRootShell ?? false,
    terminal: { enabled, ...(user === undefined ? {} : { user }) },
  };
}

async function runEnroll(values: Values, io: CliIo): Promise<number> {
  if (values.server === undefined || values['enroll-key'] === undefined) {
    throw new UsageError('--server and --enroll-key are required');
  }
  const logger = createConsoleLogger({ level: logLevel(values), stream: io.stderr });
  const path = resolve(values.config ?? DEFAULT_CONFIG_PATH);
  const result = await enroll({
    server: values.server,
    enrollmentKey: values['enroll-key'],
    machineUid: machineUid(),
  });
  await writeAgentConfig(path, {
    server: values.server,
    agentKey: result.agentKey,
    machineId: result.machineId,
    site: result.site,
    company: result.company,
  });
  logger.info('enrolled', { machineId: result.machineId, site: result.site, company: result.company });
  io.stdout.write(`Enrolled as machine ${result.machineId}; configuration written to ${path}\n`);
  return ExitCode.Ok;
}

async function runInstall(values: Values, io: CliIo): Promise<number> {
  const script = process.argv[1] === undefined ? undefined : realpathSync(process.argv[1]);
  const command = script === undefined ? ['gc-agent'] : [process.execPath, ...AGENT_NODE_FLAGS, script];
  const path = await installSystemdUnit({
    command,
    configPath: resolve(values.config ?? DEFAULT_CONFIG_PATH),
    ...(values['unit-dir'] === undefined ? {} : { unitDir: values['unit-dir'] }),
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values.user === undefined ? {} : { user: values.user }),
    ...(values.display === undefined ? {} : { display: values.display }),
  });
  const name = values.name ?? 'gc-agent';
  io.stdout.write(`Wrote ${path}\nNow run: systemctl daemon-reload && systemctl enable --now ${name}\n`);
  return ExitCode.Ok;
}

async function runUninstall(values: Values, io: CliIo): Promise<number> {
  const path = await uninstallSystemdUnit({
    ...(values['unit-dir'] === undefined ? {} : { unitDir: values['unit-dir'] }),
    ...(values.name === undefined ? {} : { name: values.name }),
  });
  io.stdout.write(
    path === undefined ? 'No unit file to remove\n' : `Removed ${path}\nNow run: systemctl daemon-reload\n`,
  );
  return ExitCode.Ok;
}
