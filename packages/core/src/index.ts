export { errorTypeFromError, errorTypeFromStatus } from './error-type.js';
export type { CallRecord, ErrorType, Labels, Operation, Usage, UsageSource } from './record.js';
export { ERROR_TYPES, emptyUsage, OPERATIONS, TOKEN_TYPES } from './record.js';
export type {
  ResponseSummary,
  StreamAccumulator,
  StreamEventKind,
  StreamSummary,
  WireFormat,
  WireFormatName,
} from './wire/wire-format.js';
