import { readdirSync, readFileSync } from 'node:fs';

/** One process as `/proc/<pid>/stat` describes it. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** `R`, `S`, `D`, `T`, `Z`… */
  state: string;
}

/** Every process now in `/proc` (Linux). Processes that vanish while being read are skipped. */
export function listProcesses(): ProcessEntry[] {
  const out: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      // The process exited between readdir and read: it is not a member any more.
      continue;
    }
    // The command name is in parentheses and may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.push({
      pid: Number(name),
      state: fields[0] ?? '?',
      ppid: Number(fields[1]),
      pgid: Number(fields[2]),
      sid: Number(fields[3]),
    });
  }
  return out;
}

/**
 * The live (non-zombie) processes belonging to the terminal whose shell is `leader`: its session
 * and process groups (the shell is session and group leader of its PTY), and every descendant
 * still parented inside that tree (which catches a child that called setsid() while its parent
 * lives). A double-forked daemon that left the session and was re-parented is out of reach,
 * as it is for sshd.
 */
export function terminalMembers(leader: number, processes = listProcesses()): ProcessEntry[] {
  const live = processes.filter((p) => p.state !== 'Z' && p.state !== 'X');
  const members = new Map<number, ProcessEntry>();
  for (const p of live) if (p.sid === leader || p.pgid === leader || p.pid === leader) members.set(p.pid, p);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of live) {
      if (!members.has(p.pid) && members.has(p.ppid)) {
        members.set(p.pid, p);
        grew = true;
      }
    }
  }
  return [...members.values()];
}

function signal(members: readonly ProcessEntry[], sig: NodeJS.Signals): void {
  const groups = new Set(members.map((m) => m.pgid).filter((g) => g > 1));
  for (const group of groups) trySignal(-group, sig);
  for (const m of members) trySignal(m.pid, sig);
}

function trySignal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch (error) {
    // ESRCH: already gone, which is what we want. EPERM (a setuid program the agent may not
    // signal): the process stays and killTerminalTree reports it among the survivors.
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ESRCH' && code !== 'EPERM') throw error;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Hangs up every member of the terminal led by `leader` (SIGHUP, then SIGCONT so stopped jobs
 * see it), waits up to `graceMs` for them to exit, then SIGKILLs whatever is left and waits up
 * to 1 s more. Resolves with the pids still alive after that (normally none; a process the
 * agent may not signal, e.g. a setuid program under a non-root agent, would be one).
 */
export async function killTerminalTree(leader: number, graceMs: number): Promise<number[]> {
  if (process.platform !== 'linux') {
    trySignal(-leader, 'SIGHUP');
    await sleep(graceMs);
    trySignal(-leader, 'SIGKILL');
    return [];
  }
  // Remember who belonged before the leader dies: once it is gone its children are re-parented
  // and only their session id still ties them to it.
  const known = new Set(terminalMembers(leader).map((m) => m.pid));
  const current = (): ProcessEntry[] => {
    const all = listProcesses();
    const members = new Map(terminalMembers(leader, all).map((m) => [m.pid, m]));
    for (const p of all) if (known.has(p.pid) && p.state !== 'Z') members.set(p.pid, p);
    return [...members.values()];
  };
  let members = current();
  if (members.length === 0) return [];
  signal(members, 'SIGHUP');
  signal(members, 'SIGCONT');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
    members = current();
    if (members.length === 0) return [];
  }
  signal(members, 'SIGKILL');
  const hardDeadline = Date.now() + 1000;
  while (Date.now() < hardDeadline) {
    await sleep(10);
    members = current();
    if (members.length === 0) return [];
  }
  return members.map((m) => m.pid);
}
