// Hyperparameter sweeps: one spec, seeded samplers, early stopping, pretraining reuse, a host-agnostic runner, share links.
export * from './spec';
export * from './samplers';
export * from './asha';
export * from './reuse';
export * from './runner';
export * from './shareLink';
