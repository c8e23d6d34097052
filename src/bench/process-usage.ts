import { readFileSync } from "node:fs";

/** Clock ticks per second of /proc/<pid>/stat's CPU fields (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** What the bench reads about a child process from /proc (Linux); zeros once it has exited. */
export interface ProcessUsage {
  /** VmHWM: the peak resident set, KiB. */
  readonly peakKiB: number;
  /** User + system CPU time so far. */
  readonly cpuSeconds: number;
}

export function processUsage(pid: number | undefined): ProcessUsage {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which is in parentheses and may hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const peak = /VmHWM:\s+(\d+)/.exec(status);
    return { peakKiB: peak ? Number(peak[1]) : 0, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return { peakKiB: 0, cpuSeconds: 0 };
  }
}
