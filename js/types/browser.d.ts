// ipckit for pages and workers: the portable core (no Node APIs).
export * from './common.js';
