// The line every benchmark table starts with: figures only mean something next to the machine they came from.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** "2026-11-30, 2 cores (AMD EPYC), Node v24.21.0, linux x64". */
export function machineLine() {
  let model = 'unknown CPU';
  try {
    model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? model;
  } catch {
    // Not Linux: the model stays unknown.
  }
  const date = new Date().toISOString().slice(0, 10);
  return `${date}, ${availableParallelism()} cores (${model}), Node ${process.version}, ${process.platform} ${process.arch}`;
}
