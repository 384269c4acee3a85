/**
 * The TSDoc `@example` blocks of the public API are user code: each ```ts block is written to a
 * temporary directory as a module importing from 'reelstream', type-checked (one strict program
 * over all of them, 'reelstream' mapped to operators/index.ts) and then run in its own Node
 * process, so an example that no longer compiles or no longer works fails the test suite with
 * the file and line of its block.
 *
 * Which examples: those on the declarations that operators/index.ts exports, and on their
 * members — exactly the ones the API reference (`npm run docs:api`) shows, and the only ones a
 * user can write, since nothing else is importable from 'reelstream'. Examples on internal
 * symbols (e.g. RocksDbStore, InMemoryStore) are not collected.
 *
 * Fence flags: ```ts no-run marks a fragment that is type-checked but not run (say why in the
 * text around it). Examples that need the broker or registry reach the local test stack through
 * `connectionConfigFromEnv()`, like every integration test.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import ts from 'typescript';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const entry = join(root, 'operators/index.ts');
const runTimeoutMs = 60_000;
const knownFlags = new Set(['no-run']);

interface Example {
  /** Repository-relative file of the doc comment. */
  readonly file: string;
  /** 1-based line of the first code line in that file. */
  readonly line: number;
  readonly code: string;
  readonly flags: readonly string[];
  /** Path of the module written for it. */
  path: string;
}

function parsedConfig(): ts.ParsedCommandLine {
  const configPath = join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  if (read.error) {
    throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  }
  return ts.parseJsonConfigFileContent(read.config, ts.sys, root);
}

function compilerOptions(): ts.CompilerOptions {
  return parsedConfig().options;
}

/** The repository's own declarations of untyped modules (e.g. `declare module 'rocksdb'`). */
function ambientDeclarations(): string[] {
  return parsedConfig().fileNames.filter(
    (file) => file.endsWith('.d.ts') && relative(root, file).startsWith('operators/'),
  );
}

/** The `@example` tags of the public API's declarations and their members. */
function publicExampleTags(program: ts.Program): Map<string, ts.JSDocTag> {
  const checker = program.getTypeChecker();
  const entryFile = program.getSourceFile(entry);
  assert.ok(entryFile, `${entry} is not in the program`);
  const moduleSymbol = checker.getSymbolAtLocation(entryFile);
  assert.ok(moduleSymbol, 'operators/index.ts has no module symbol');
  const tags = new Map<string, ts.JSDocTag>();
  const visit = (node: ts.Node): void => {
    for (const tag of ts.getJSDocTags(node)) {
      if (tag.tagName.text === 'example') {
        const file = tag.getSourceFile().fileName;
        tags.set(`${file}:${tag.pos}`, tag);
      }
    }
    ts.forEachChild(node, visit);
  };
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    for (const declaration of symbol.declarations ?? []) {
      // A variable's doc comment sits on its statement, two levels up.
      visit(ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration);
    }
  }
  return tags;
}

/** The ```ts blocks of one `@example` tag, with their lines in the source file. */
function blocksOf(tag: ts.JSDocTag): Example[] {
  const source = tag.getSourceFile();
  const firstLine = source.getLineAndCharacterOfPosition(tag.pos).line + 1;
  const lines = source.text
    .slice(tag.pos, tag.end)
    .split('\n')
    .map((line) => line.replace(/^\s*\*(?: |$)/, '').replace(/\s*\*\/\s*$/, ''));
  const file = relative(root, source.fileName);
  const examples: Example[] = [];
  let open: { lang: string; flags: string[]; line: number; code: string[] } | undefined;
  lines.forEach((text, index) => {
    const fence = /^\s*```\s*(\S*)\s*(.*)$/.exec(text);
    if (fence === null) {
      open?.code.push(text);
      return;
    }
    if (open === undefined) {
      const [, lang = '', rest = ''] = fence;
      open = {
        lang,
        flags: rest.split(/\s+/).filter(Boolean),
        line: firstLine + index + 1,
        code: [],
      };
      return;
    }
    if (open.lang === 'ts' || open.lang === 'typescript') {
      examples.push({
        file,
        line: open.line,
        code: open.code.join('\n'),
        flags: open.flags,
        path: '',
      });
    }
    open = undefined;
  });
  assert.equal(open, undefined, `${file}:${firstLine}: an @example has an unclosed code fence`);
  return examples;
}

function collectExamples(): Example[] {
  const program = ts.createProgram([entry], { ...compilerOptions(), noEmit: true });
  return [...publicExampleTags(program).values()]
    .flatMap(blocksOf)
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

/** Writes each example as an ES module of a scratch package that maps 'reelstream' to the source. */
function writeExamples(examples: readonly Example[], dir: string): ts.CompilerOptions {
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  const paths = { reelstream: [entry] };
  // tsx reads this at run time (TSX_TSCONFIG_PATH) for the same mapping.
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { paths } }));
  mkdirSync(join(dir, 'examples'));
  examples.forEach((example, index) => {
    const name = `${String(index + 1).padStart(2, '0')}-${example.file.replace(/[/.]/g, '_')}-L${example.line}.ts`;
    example.path = join(dir, 'examples', name);
    // `export {}` keeps an example without imports a module: its own scope, top-level await.
    writeFileSync(example.path, `${example.code}\nexport {};\n`);
  });
  // The examples live outside the repository: no rootDir, and nothing is emitted.
  const base = compilerOptions();
  delete base.rootDir;
  delete base.outDir;
  return {
    ...base,
    noEmit: true,
    // User code: a name declared only to show it (`const reply = await …`) is fine.
    noUnusedLocals: false,
    noUnusedParameters: false,
    paths,
  };
}

function where(example: Example, lineInExample = 0): string {
  return `${example.file}:${example.line + lineInExample}`;
}

function formatDiagnostic(diagnostic: ts.Diagnostic, byPath: ReadonlyMap<string, Example>): string {
  const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
  const file = diagnostic.file;
  if (file === undefined || diagnostic.start === undefined) {
    return `error TS${diagnostic.code}: ${message}`;
  }
  const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start);
  const example = byPath.get(resolve(file.fileName));
  const at =
    example === undefined
      ? `${relative(root, file.fileName)}:${line + 1}:${character + 1}`
      : `${where(example, line)}:${character + 1} (@example)`;
  return `${at} error TS${diagnostic.code}: ${message}`;
}

interface RunResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly output: string;
  readonly timedOut: boolean;
}

function runExample(example: Example, tsconfig: string): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', example.path], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, runTimeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, output, timedOut });
    });
  });
}

const examples = collectExamples();
const dir = mkdtempSync(join(tmpdir(), 'reelstream-examples-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const options = writeExamples(examples, dir);
const byPath = new Map(examples.map((example) => [resolve(example.path), example]));

describe('TSDoc @example blocks of the public API', { concurrency: 2 }, () => {
  test('are found, with known fence flags', () => {
    // A floor, so a broken extractor cannot pass by finding nothing.
    assert.ok(examples.length >= 15, `only ${examples.length} examples found`);
    for (const example of examples) {
      const unknown = example.flags.filter((flag) => !knownFlags.has(flag));
      assert.deepEqual(unknown, [], `${where(example)}: unknown fence flags`);
    }
  });

  test('type-check as user code importing from reelstream (one strict program)', () => {
    const program = ts.createProgram(
      [...examples.map((example) => example.path), ...ambientDeclarations()],
      options,
    );
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const report = diagnostics.map((diagnostic) => formatDiagnostic(diagnostic, byPath));
    assert.equal(report.length, 0, `the examples do not type-check:\n${report.join('\n')}`);
  });

  for (const example of examples) {
    const skip = example.flags.includes('no-run') ? 'no-run (type-checked only)' : false;
    test(`${where(example)} runs`, { skip }, async () => {
      const result = await runExample(example, join(dir, 'tsconfig.json'));
      const why = result.timedOut
        ? `did not finish within ${runTimeoutMs} ms`
        : `exited with ${result.code ?? result.signal}`;
      assert.ok(
        result.code === 0 && !result.timedOut,
        `the @example at ${where(example)} ${why}:\n${result.output}`,
      );
    });
  }
});
