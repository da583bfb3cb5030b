/**
 * The architecture check (`npm run arch`), see ARCHITECTURE.md section 2:
 * - no import cycles;
 * - `src/platform/` is the shared kernel: it imports no system and not the composition root
 *   (only test code - `src/platform/testing/`, `*.test.ts`, `*.contract.ts` - may import
 *   `src/app.ts` / `src/serve.ts`, to build whole apps);
 * - a system (`src/systems/<name>/`, and the gateway in `src/gateway/`) imports `src/platform/`,
 *   its own folder, Node built-ins and npm packages only: systems talk over HTTP or the Bus;
 * - production code imports no devDependency and no package missing from package.json.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */

/** Dependency types that are packages or Node built-ins (not files of this repo). */
const EXTERNAL = [
  'core',
  'npm',
  'npm-dev',
  'npm-optional',
  'npm-peer',
  'npm-bundled',
  'npm-no-pkg',
  'npm-unknown',
]

/** Files that only run in tests and may use devDependencies. */
const TEST_ONLY = [
  '\\.test\\.ts$',
  '\\.contract\\.ts$',
  '^src/platform/testing/',
  '^src/systems/[^/]+/bench\\.ts$',
  // A system's test helpers (the scripted clients its tests share).
  '^src/systems/[^/]+/testing\\.ts$',
  '^src/systems/[^/]+/testing\\.[a-z-]+\\.ts$',
  '^src/systems/[^/]+/bench/',
]

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'Import cycles make load order fragile and hide layering mistakes. Break the cycle with a port.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'platform-imports-no-system',
      severity: 'error',
      comment:
        'src/platform is the shared kernel: it must not import a system, the gateway, main.ts or cli.ts. ' +
        'Move the shared mechanism into platform instead.',
      from: { path: '^src/platform/' },
      to: { path: '^src/(systems/|gateway/|main\\.ts$|cli\\.ts$)' },
    },
    {
      name: 'platform-imports-no-app',
      severity: 'error',
      comment:
        'src/platform must not import the composition root (src/app.ts, src/serve.ts). Only test code ' +
        '(src/platform/testing/, *.test.ts, *.contract.ts) may, to build whole apps.',
      from: { path: '^src/platform/', pathNot: TEST_ONLY },
      to: { path: '^src/(app|serve)\\.ts$' },
    },
    {
      name: 'system-imports-platform-and-itself-only',
      severity: 'error',
      comment:
        'A system imports src/platform, its own folder and packages only. Systems talk to each other ' +
        'the way separate services would: over their public API or through events on the Bus.',
      from: { path: '^src/(systems/[^/]+|gateway)/', pathNot: ['/bench\\.ts$', '^src/systems/[^/]+/bench/'] },
      to: {
        pathNot: ['^src/platform/', '^src/$1/'],
        dependencyTypesNot: EXTERNAL,
        couldNotResolve: false, // reported once, by no-unresolvable
      },
    },
    {
      name: 'system-bench-imports-harness-platform-and-itself',
      severity: 'error',
      comment:
        "A system's bench.ts (and its bench/ folder, when one file is not enough) may also use the benchmark " +
        'harness (bench/), and nothing of other systems.',
      from: { path: '^src/(systems/[^/]+)/bench(\\.ts$|/)' },
      to: {
        pathNot: ['^src/platform/', '^src/$1/', '^bench/'],
        dependencyTypesNot: EXTERNAL,
        couldNotResolve: false,
      },
    },
    {
      name: 'no-bench-in-production',
      severity: 'error',
      comment:
        "A system's bench.ts and bench/ folder may use devDependencies: production code must not import them.",
      from: { path: '^src/', pathNot: TEST_ONLY },
      to: { path: '^src/systems/[^/]+/bench(\\.ts$|/)' },
    },
    {
      name: 'no-dev-dependency-in-production',
      severity: 'error',
      comment:
        'This file runs in production, where devDependencies are not installed. Move the package to ' +
        'dependencies, or the code to a test (*.test.ts, *.contract.ts, src/platform/testing/).',
      from: { path: '^src/', pathNot: TEST_ONLY },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-undeclared-package',
      severity: 'error',
      comment:
        'This package is not in package.json (it only works because something else installs it). Add it.',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'This import does not resolve to a file or an installed package.',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    moduleSystems: ['es6', 'cjs'],
    // Type-only imports count too: a cycle through types is still a cycle, a layer breach still a breach.
    tsPreCompilationDeps: true,
    // NodeNext resolution: `./x.js` in a source file resolves to `./x.ts`.
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs', '.json'],
    },
    skipAnalysisNotInRules: false,
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
}
