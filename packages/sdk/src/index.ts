export { withLabels } from './call-labels.js';
export { type InstrumentOptions, instrument } from './instrument.js';
