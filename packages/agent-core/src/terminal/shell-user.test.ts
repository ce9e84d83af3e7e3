import { mkdtempSync, writeFileSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveShellUser } from './shell-user.js';

function passwd(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gc-passwd-')), 'passwd');
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

describe('resolveShellUser', () => {
  const self = os.userInfo();
  const path = passwd([
    `${self.username}:x:${self.uid}:${self.gid}::${self.homedir}:/bin/sh`,
    'alice:x:1500:1500:Alice:/home/alice:/bin/bash',
    'daemon:x:2:2:daemon:/usr/sbin:/usr/sbin/nologin',
    'toor:x:0:0:another root:/root:/bin/bash',
  ]);

  it("uses $SHELL for the agent's own user, else the passwd entry", () => {
    const own = resolveShellUser({ passwdPath: path, env: { SHELL: '/bin/bash' }, allowRoot: true });
    expect(own).toMatchObject({ name: self.username, uid: self.uid, shell: '/bin/bash' });
    expect(resolveShellUser({ passwdPath: path, env: {}, allowRoot: true }).shell).toBe('/bin/sh');
  });

  it('resolves another user from passwd, and refuses unknown and nologin users', () => {
    expect(resolveShellUser({ passwdPath: path, user: 'alice' })).toEqual({
      name: 'alice',
      uid: 1500,
      gid: 1500,
      home: '/home/alice',
      shell: '/bin/bash',
    });
    expect(() => resolveShellUser({ passwdPath: path, user: 'mallory' })).toThrow(
      expect.objectContaining({ code: 'GC_ERR_TERMINAL_UNKNOWN_USER' }),
    );
    expect(() => resolveShellUser({ passwdPath: path, user: 'daemon' })).toThrow(/may not log in/);
  });

  it('refuses any uid 0 shell without allowRoot', () => {
    expect(() => resolveShellUser({ passwdPath: path, user: 'toor' })).toThrow(
      expect.objectContaining({ code: 'GC_ERR_TERMINAL_ROOT_REFUSED' }),
    );
    expect(resolveShellUser({ passwdPath: path, user: 'toor', allowRoot: true }).uid).toBe(0);
  });
});
