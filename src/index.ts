/** The embeddable surface: start a sealq server from a program or a test. */
export { startSealq, type Sealq, type SealqOptions } from './main.js';
export { loadConfig, defaultConfig, type Config } from './config/config.js';
export { ManualClock, systemClock, type Clock } from './shared/clock.js';
