// CPU time of another process, read from /proc, so that every proxy (a Node child, nginx) is measured the same
// way: the sum over its threads of the time the scheduler ran them, in µs (nanosecond resolution, unlike the
// 10 ms ticks of /proc/PID/stat). Linux only; the threads of a Node process and of nginx live as long as it does.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time in µs that process `pid` (all its threads) has run so far. */
export function processCpuMicros(pid) {
  let nanos = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanos += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // A thread that ended between the listing and the read.
    }
  }
  return nanos / 1000;
}

/** Resident set size of process `pid` in MB. */
export function processRssMb(pid) {
  const kb = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb ?? 0) / 1024;
}
