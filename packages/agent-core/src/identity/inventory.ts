import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { create } from '@bufbuild/protobuf';
import type { Inventory } from '@guruconnect/protocol';
import { InventorySchema } from '@guruconnect/protocol';
import { AGENT_VERSION } from '../version.js';

const run = promisify(execFile);

export interface InventoryOptions {
  machineUid: string;
  /** os-release file. Default `/etc/os-release` (then `/usr/lib/os-release`). */
  osReleasePaths?: readonly string[];
}

/** Collects what the technician's console shows about this machine. */
export async function collectInventory(options: InventoryOptions): Promise<Inventory> {
  const release = await readOsRelease(options.osReleasePaths ?? ['/etc/os-release', '/usr/lib/os-release']);
  const cpus = os.cpus();
  return create(InventorySchema, {
    osName: release.NAME ?? os.type(),
    osVersion: release.VERSION_ID ?? release.VERSION ?? '',
    kernel: os.release(),
    arch: os.arch(),
    hostname: os.hostname(),
    cpuModel: cpus[0]?.model.trim() ?? '',
    cpuCores: cpus.length,
    ramBytes: BigInt(os.totalmem()),
    interfaces: privateInterfaces(),
    loggedOnUser: await loggedOnUser(),
    uptimeSeconds: BigInt(Math.floor(os.uptime())),
    timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    agentVersion: AGENT_VERSION,
    machineUid: options.machineUid,
  });
}

/** True when two inventories differ in anything but uptime (which always moves). */
export function inventoryChanged(a: Inventory, b: Inventory): boolean {
  const strip = (i: Inventory): string =>
    JSON.stringify({ ...i, uptimeSeconds: 0 }, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  return strip(a) !== strip(b);
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match === null) continue;
    out[match[1]!] = match[2]!.replace(/^(["'])(.*)\1$/, '$2');
  }
  return out;
}

async function readOsRelease(paths: readonly string[]): Promise<Record<string, string>> {
  for (const path of paths) {
    try {
      return parseOsRelease(await readFile(path, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return {};
}

/** RFC 1918 / RFC 6598 IPv4, unique-local and link-local IPv6. */
export function isPrivateAddress(address: string): boolean {
  if (address.includes(':')) return /^f[cd]/i.test(address) || /^fe[89ab]/i.test(address);
  const [a, b] = address.split('.').map(Number);
  if (a === undefined || b === undefined) return false;
  return (
    a === 10 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127)
  );
}

function privateInterfaces(): Array<{ name: string; mac: string; addresses: string[] }> {
  const out: Array<{ name: string; mac: string; addresses: string[] }> = [];
  for (const [name, infos] of Object.entries(os.networkInterfaces())) {
    const list = (infos ?? []).filter((i) => !i.internal);
    const addresses = list.map((i) => i.address).filter(isPrivateAddress);
    if (addresses.length === 0) continue;
    out.push({ name, mac: list[0]?.mac ?? '', addresses });
  }
  return out.sort((x, y) => x.name.localeCompare(y.name));
}

/** The user at the console: the first `who` entry on a seat/tty, else the agent's own user. */
async function loggedOnUser(): Promise<string> {
  try {
    const { stdout } = await run('who', [], { timeout: 2000 });
    const first = stdout.split('\n').find((l) => l.trim() !== '');
    if (first !== undefined) return first.split(/\s+/)[0] ?? '';
  } catch {
    // `who` missing or failing is normal in containers: fall back to the agent's own user.
  }
  return os.userInfo().username;
}
