import { compressedSseTest } from './measurement-compressed.js';

compressedSseTest('one endless data line');
