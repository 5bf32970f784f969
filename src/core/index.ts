// Public API of the engine. Hosts (browser worker, CLI, server) import from here.
export * from './config';
export * from './types';
export * from './random';
