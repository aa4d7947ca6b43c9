import { compressedSseTest } from './measurement-compressed.js';

compressedSseTest('chat chunks of 1,000 characters');
