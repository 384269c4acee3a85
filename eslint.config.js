// Type-aware lint for the whole repository. Run with --max-warnings 0 in the test command.
import js from '@eslint/js';
import checkFile from 'eslint-plugin-check-file';
import tseslint from 'typescript-eslint';

/** Anything under jobs/ is an entry point: nothing else may depend on it. */
const noJobsImport = {
  group: ['**/jobs/**', '../jobs', '../../jobs'],
  message: 'jobs/ holds entry points; nothing may import from it.',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '**/*.js', '**/*.cjs', '!eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'check-file': checkFile },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          // node:test's test()/describe() return promises the runner itself awaits.
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/naming-convention': [
        'error',
        { selector: 'typeParameter', format: ['PascalCase'], prefix: ['T'] },
      ],
      'max-params': ['error', 3],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
      'check-file/filename-naming-convention': [
        'error',
        { '**/*.ts': 'CAMEL_CASE' },
        { ignoreMiddleExtensions: true },
      ],
      'no-restricted-imports': ['error', { patterns: [noJobsImport] }],
    },
  },
  {
    // Pipelines are user code: they see the public operator API and the schemas, never the
    // runtime, state or connector internals.
    files: ['pipelines/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noJobsImport,
            {
              group: ['**/operators/**', '!**/operators/index.js'],
              message: 'pipelines/ may import only operators/index.js and schemas/.',
            },
            {
              group: ['**/deploy/**', '**/test/**', '**/bench/**'],
              message: 'pipelines/ may import only operators/index.js and schemas/.',
            },
          ],
        },
      ],
    },
  },
  {
    // Entry points: jobs, and the benchmarks that measure whole jobs.
    files: ['jobs/**/*.ts', 'bench/features/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
  },
);
