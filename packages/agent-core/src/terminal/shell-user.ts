import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { TerminalError, TerminalErrorCode } from './terminal-error.js';

/** Who the terminal's login shell runs as, and which shell. */
export interface ShellUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  /** Absolute path of the login shell. */
  shell: string;
}

export interface ResolveShellUserOptions {
  /** User name to run shells as. Default: the user the agent runs as. */
  user?: string;
  /** Shell program override. Default `$SHELL` (own user only), else the passwd entry's, else `/bin/sh`. */
  shell?: string;
  /** Allow a shell running as uid 0. Default false. */
  allowRoot?: boolean;
  /** passwd file to read. Default `/etc/passwd`. */
  passwdPath?: string;
  /** Environment to read `$SHELL` from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Shells that refuse logins; a user whose passwd entry names one gets no terminal. */
const NO_LOGIN = /\/(nologin|false)$/;

function passwdEntry(path: string, match: (fields: string[]) => boolean): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new TerminalError(TerminalErrorCode.UnknownUser, `cannot read ${path}`, { cause });
  }
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 7 && match(fields)) return fields;
  }
  return undefined;
}

/**
 * Resolves the terminal's user and login shell. Throws {@link TerminalError}
 * `GC_ERR_TERMINAL_ROOT_REFUSED` when the shell would run as root without `allowRoot`, and
 * `GC_ERR_TERMINAL_UNKNOWN_USER` when the user does not exist or may not log in.
 */
export function resolveShellUser(options: ResolveShellUserOptions = {}): ShellUser {
  const passwd = options.passwdPath ?? '/etc/passwd';
  const env = options.env ?? process.env;
  const self = os.userInfo();
  const own = options.user === undefined || options.user === self.username;
  let user: ShellUser;
  if (own) {
    const fields = passwdEntry(passwd, (f) => Number(f[2]) === self.uid);
    const passwdShell = fields?.[6] ?? '';
    const envShell = env.SHELL ?? '';
    user = {
      name: self.username,
      uid: self.uid,
      gid: self.gid,
      home: self.homedir,
      shell: options.shell ?? (envShell.startsWith('/') ? envShell : passwdShell || '/bin/sh'),
    };
  } else {
    const fields = passwdEntry(passwd, (f) => f[0] === options.user);
    if (fields === undefined) {
      throw new TerminalError(TerminalErrorCode.UnknownUser, `no user named ${options.user} on this machine`);
    }
    user = {
      name: fields[0]!,
      uid: Number(fields[2]),
      gid: Number(fields[3]),
      home: fields[5] || '/',
      shell: options.shell ?? (fields[6] || '/bin/sh'),
    };
  }
  if (user.uid === 0 && options.allowRoot !== true) {
    throw new TerminalError(
      TerminalErrorCode.RootRefused,
      'refused: the shell would run as root and this agent does not allow root shells ' +
        '(configure a terminal user with --terminal-user, or allow root with --allow-root-shell)',
    );
  }
  if (NO_LOGIN.test(user.shell)) {
    throw new TerminalError(
      TerminalErrorCode.UnknownUser,
      `user ${user.name} may not log in (${user.shell})`,
    );
  }
  if (!existsSync(user.shell)) {
    throw new TerminalError(TerminalErrorCode.Spawn, `the shell ${user.shell} does not exist`);
  }
  return user;
}
