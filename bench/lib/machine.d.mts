/** "2026-11-30, 2 cores (AMD EPYC), Node v24.21.0, linux x64". */
export declare function machineLine(): string;
