import { unboundedEventTests } from './measurement-unbounded-event.js';

unboundedEventTests('one 100 MiB data line');
