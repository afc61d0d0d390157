// ESLint flat config: typescript-eslint + eslint-plugin-vue, and the layering rules of STYLE.md §2
// (each layer may import only what the table allows; messages name the right door).
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import vueParser from 'vue-eslint-parser';

const computeLibs = ['onnxruntime-node', '@tensorflow/*', 'onnx-proto'];
const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net'];

const restrict = (patterns) => ({ 'no-restricted-imports': ['error', { patterns }] });

// src/main/engine/linalg is private behind its index.ts. The engine's two bundled worker entries also run its
// symmetric-product helper thread (linalg/symvHelper.ts), which they may import by name.
const linalgDoor = {
  group: ['**/linalg/*', '**/linalg/**', '!**/linalg/index', '!**/linalg/symvHelper'],
  message: "src/main/engine/linalg is private: import from its index.ts (…/engine/linalg), the folder's public face.",
};

// The three adapters (electron, server, cli) do not import each other: what two of them share belongs in
// the contract (src/shared/api) or in services; the entry points (bin/, src/main/index.ts) wire them.
const adapterDoor =
  'Adapters do not import each other: put what they share in src/shared/api (ServedApi, IPC channel names, CSPs) or src/main/services; entry points wire them.';

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', '.tmp/**', 'test-results/**', '**/*.d.ts', 'bench/**/*.py'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module', extraFileExtensions: ['.vue'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/attributes-order': 'off',
      'vue/first-attribute-linebreak': 'off',
      'vue/v-on-event-hyphenation': 'off',
      'vue/attribute-hyphenation': 'off',
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use the seeded generator (src/shared/random.ts).' }],
    },
  },
  {
    files: ['test/**', 'bench/**', 'scripts/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['src/shared/**'],
    rules: restrict([
      {
        group: [...nodeBuiltins, 'electron', 'vue', 'pinia', ...computeLibs],
        message: 'src/shared is imported everywhere: no environment-specific imports (STYLE.md §2).',
      },
      { group: ['**/main/**', '**/renderer/**', '**/preload/**'], message: 'src/shared may not import from main, renderer or preload.' },
    ]),
  },
  {
    files: ['src/main/engine/**'],
    ignores: [
      'src/main/engine/backends/**',
      'src/main/engine/worker.ts',
      'src/main/engine/workerElectron.ts',
      'src/main/engine/theoryThread.ts',
      'src/main/engine/eigenThread.ts',
      'src/main/engine/linalg/symvHelper.ts',
    ],
    rules: restrict([
      {
        group: ['electron', 'vue', 'pinia', 'node:fs', 'fs', 'node:child_process', 'node:worker_threads', 'node:http', 'node:net', 'node:module', 'module'],
        message:
          'The engine is pure numerics: no electron, fs, module loader, processes or threads (only the worker entries know worker_threads; package data comes in through imports).',
      },
      { group: computeLibs, message: 'Compute libraries only inside src/main/engine/backends/.' },
      { group: ['**/services/**', '**/electron/**', '**/server/**', '**/cli/**', '**/renderer/**'], message: 'The engine may import only shared and itself.' },
      linalgDoor,
    ]),
  },
  {
    // The threads of the engine: its backends, and the worker entries (the engine worker, the theory and eigenvalue
    // threads, and linalg's helper thread).
    files: [
      'src/main/engine/backends/**',
      'src/main/engine/worker.ts',
      'src/main/engine/workerElectron.ts',
      'src/main/engine/theoryThread.ts',
      'src/main/engine/eigenThread.ts',
      'src/main/engine/linalg/symvHelper.ts',
    ],
    rules: restrict([
      { group: ['electron', 'vue', 'pinia'], message: 'The engine may not import electron or the UI.' },
      { group: ['**/services/**', '**/electron/**', '**/server/**', '**/cli/**', '**/renderer/**'], message: 'The engine may import only shared and itself.' },
      linalgDoor,
    ]),
  },
  {
    files: ['bench/**'],
    rules: restrict([linalgDoor]),
  },
  {
    files: ['src/main/services/**'],
    rules: restrict([
      { group: ['electron', 'vue', 'pinia', ...computeLibs], message: 'services: no electron, no UI, no compute libraries (those live in the engine).' },
      { group: ['**/electron/**', '**/server/**', '**/cli/**', '**/renderer/**'], message: 'services sit below the adapters: they may not import them.' },
      {
        group: ['../engine/*', '../engine/**', '!../engine/protocol'],
        message: 'services reach the engine through engineHost and engine/protocol types only.',
      },
    ]),
  },
  {
    files: ['src/main/server/**'],
    rules: restrict([
      { group: ['electron', 'vue', 'pinia', ...computeLibs], message: 'Adapters translate transport: no electron here, no compute libraries.' },
      { group: ['**/engine/**', '**/renderer/**'], message: 'Adapters use services and shared, never the engine directly.' },
      { group: ['**/electron/**', '**/cli/**'], message: adapterDoor },
    ]),
  },
  {
    files: ['src/main/cli/**'],
    rules: restrict([
      { group: ['electron', 'vue', 'pinia', ...computeLibs], message: 'Adapters translate transport: no electron here, no compute libraries.' },
      { group: ['**/engine/**', '**/renderer/**'], message: 'Adapters use services and shared, never the engine directly.' },
      { group: ['**/server/**', '**/electron/**'], message: adapterDoor },
    ]),
  },
  {
    files: ['src/main/electron/**'],
    rules: restrict([
      { group: ['vue', 'pinia', ...computeLibs], message: 'The Electron adapter uses services and shared.' },
      { group: ['**/engine/**', '**/renderer/**'], message: 'The Electron adapter uses services and shared, never the engine directly.' },
      { group: ['**/server/**', '**/cli/**'], message: adapterDoor },
    ]),
  },
  {
    files: ['src/renderer/**'],
    rules: restrict([
      { group: [...nodeBuiltins, 'electron', ...computeLibs], message: 'The renderer runs in a sandboxed page: no node or electron imports.' },
      { group: ['**/main/**', '**/preload/**'], message: 'The renderer imports shared and itself only (the API goes through src/renderer/src/api).' },
    ]),
  },
);
