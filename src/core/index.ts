// Public API of the engine. Hosts (browser worker, CLI, server) import from here.
export * from './config';
export * from './configFields';
export * from './types';
export * from './random';
export * from './data';
export * from './loss';
export * from './optim';
export * from './schedule';
export * from './augment';
export * from './checkpoint';
export * from './pretrained';
export * from './model';
export { runExperiment, plannedStages, labelledSubset, type RunOptions } from './train/run';
export { knnAccuracy, knnPredict } from './train/knn';
export { pca2d } from './train/pca';
