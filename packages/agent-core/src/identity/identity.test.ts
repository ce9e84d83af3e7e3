import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_VERSION } from '../version.js';
import { collectInventory, inventoryChanged, isPrivateAddress, parseOsRelease } from './inventory.js';
import { machineUid } from './machine-uid.js';

describe('machineUid', () => {
  it('is an app-specific HMAC of /etc/machine-id, never the raw id', () => {
    const raw = readFileSync('/etc/machine-id', 'utf8').trim();
    const uid = machineUid();
    expect(uid).toMatch(/^[0-9a-f]{64}$/);
    expect(uid).not.toContain(raw);
    expect(uid).toBe(createHmac('sha256', 'guruconnect machine uid v1').update(raw).digest('hex'));
    expect(machineUid()).toBe(uid);
  });

  it('falls back to the next path and fails clearly when none exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gc-uid-'));
    writeFileSync(join(dir, 'dbus-id'), 'abc\n');
    expect(machineUid({ paths: [join(dir, 'missing'), join(dir, 'dbus-id')] })).toBe(
      createHmac('sha256', 'guruconnect machine uid v1').update('abc').digest('hex'),
    );
    expect(() => machineUid({ paths: [join(dir, 'missing')] })).toThrow(
      expect.objectContaining({ code: 'GC_ERR_AGENT_CONFIG' }),
    );
  });
});

describe('inventory', () => {
  it('collects this machine', async () => {
    const inv = await collectInventory({ machineUid: 'u1' });
    const release = parseOsRelease(readFileSync('/etc/os-release', 'utf8'));
    expect(inv.osName).toBe(release.NAME);
    expect(inv.hostname.length).toBeGreaterThan(0);
    expect(inv.cpuCores).toBeGreaterThan(0);
    expect(inv.ramBytes).toBeGreaterThan(0n);
    expect(inv.timeZone.length).toBeGreaterThan(0);
    expect(inv.agentVersion).toBe(AGENT_VERSION);
    expect(inv.machineUid).toBe('u1');
    expect(inv.loggedOnUser.length).toBeGreaterThan(0);
    for (const i of inv.interfaces) for (const a of i.addresses) expect(isPrivateAddress(a)).toBe(true);
  });

  it('ignores uptime when deciding whether the inventory changed', async () => {
    const a = await collectInventory({ machineUid: 'u1' });
    const b = { ...a, uptimeSeconds: a.uptimeSeconds + 100n };
    expect(inventoryChanged(a, b)).toBe(false);
    expect(inventoryChanged(a, { ...a, hostname: 'other' })).toBe(true);
  });

  it('parses os-release quoting and classifies private addresses', () => {
    expect(parseOsRelease('NAME="Debian GNU/Linux"\nVERSION_ID="12"\n# c\nID=debian')).toEqual({
      NAME: 'Debian GNU/Linux',
      VERSION_ID: '12',
      ID: 'debian',
    });
    expect(['10.1.2.3', '172.20.0.1', '192.168.1.1', 'fd00::1', 'fe80::1'].every(isPrivateAddress)).toBe(
      true,
    );
    expect(['8.8.8.8', '172.32.0.1', '2001:db8::1'].some(isPrivateAddress)).toBe(false);
  });

  it('keeps AGENT_VERSION equal to package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(AGENT_VERSION).toBe(pkg.version);
  });
});
