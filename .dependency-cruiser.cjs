/**
 * The layers of src/ and which way they may depend (npm test runs this: `npm run check:deps`).
 * Each folder lists the folders its production files may import; anything else is an error.
 * Tests (*.test.ts) and test support may also use `node/` (backends, datasets on disk) and
 * `testing/` (shared fixtures); production code may never import `testing/`.
 */
const allowed = {
  core: [], // the method only: no platform, no host
  kernels: ['core'], // backend speed-ups and the reference step that measures them
  protocol: ['core'], // what crosses a boundary: worker API, events, share links, server API + client
  sweep: ['core', 'protocol'], // hyperparameter search over run configs, platform-free
  browser: ['core', 'kernels', 'protocol'], // shared by the page and its workers
  node: ['core', 'kernels', 'protocol'], // shared by the CLI, the server and the bench
  worker: ['core', 'kernels', 'protocol', 'browser', 'sweep'], // Web Worker entry points
  app: ['core', 'protocol', 'browser', 'sweep'], // the React page (talks to workers through protocol/)
  cli: ['core', 'kernels', 'protocol', 'node', 'sweep'],
  server: ['core', 'kernels', 'protocol', 'node', 'sweep'],
  bench: ['core', 'kernels', 'protocol', 'browser', 'node'],
  testing: ['core', 'kernels', 'protocol', 'node'],
};
const layers = Object.keys(allowed);
const testFile = '(\\.test\\.tsx?|[tT]estSupport\\.ts)$';

const layerRules = layers.map((layer) => {
  const ok = [layer, ...allowed[layer]];
  return {
    name: `${layer}-imports-only-${allowed[layer].join('-') || 'itself'}`,
    comment: `src/${layer} may import only: ${ok.map((l) => `src/${l}`).join(', ')}`,
    severity: 'error',
    from: { path: `^src/${layer}/`, pathNot: testFile },
    to: { path: '^src/', pathNot: `^src/(${ok.join('|')})/` },
  };
});

const testRules = layers.map((layer) => {
  const ok = [layer, ...allowed[layer], 'node', 'testing'];
  return {
    name: `${layer}-tests-import-only-their-layers`,
    severity: 'error',
    from: { path: `^src/${layer}/.*${testFile}` },
    to: { path: '^src/', pathNot: `^src/(${[...new Set(ok)].join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    ...testRules,
    {
      name: 'core-is-platform-free',
      comment: 'The engine never touches a file system, the network or a host API itself: hosts inject sources.',
      severity: 'error',
      from: { path: '^src/(core|protocol|sweep)/', pathNot: testFile },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true, pathNot: '\\?url$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    exclude: { path: '\\.d\\.ts$' },
  },
};
