import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU seconds used so far by this process and every process it started (DynamoDB Local's
 * JVM, worker processes), from /proc. Where /proc is missing (not Linux), only this
 * process is counted, and `tree` says so.
 */
export interface TreeCpu {
  seconds: number;
  processes: number;
  tree: boolean;
}

// USER_HZ: 100 on every Linux kernel Node supports (sysconf(_SC_CLK_TCK)).
const TICKS_PER_SECOND = 100;

const readStat = (pid: string): { ppid: number; ticks: number } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 4 (ppid), 14 (utime) and 15 (stime) of proc(5), counted from the state field (3).
    return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return undefined;
  }
};

export const processTreeCpu = (): TreeCpu => {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    const usage = process.cpuUsage();
    return { seconds: (usage.user + usage.system) / 1e6, processes: 1, tree: false };
  }
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) stats.set(Number(pid), stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let ticks = 0;
  let processes = 0;
  const pending = [process.pid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    const stat = stats.get(pid);
    if (!stat) continue;
    ticks += stat.ticks;
    processes += 1;
    pending.push(...(children.get(pid) ?? []));
  }
  return { seconds: ticks / TICKS_PER_SECOND, processes, tree: true };
};
