import { unboundedEventTests } from './measurement-unbounded-event.js';

unboundedEventTests('100 MiB of data lines without a blank line');
