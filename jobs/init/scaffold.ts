import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';

import { repoRoot } from '../../deploy/local/stack/stackSettings.js';
import { ConfigError } from '../../operators/index.js';

/** Where `reelstream init` copies from: every file ends in `.tmpl`, so no tool here reads it. */
const templateDir = join(repoRoot, 'jobs', 'init', 'template');

/** What a new project is made from. */
export interface ScaffoldOptions {
  /** The new project's folder: created, or existing and empty. */
  readonly dir: string;
  /**
   * How the project depends on reelstream: a version range, or `file:` a packed tarball or a
   * folder (relative to the current directory; rewritten relative to the project).
   */
  readonly reelstreamSpec: string;
}

/** The files written, relative to the project folder, and the project's package name. */
export interface Scaffolded {
  readonly name: string;
  readonly files: readonly string[];
}

/**
 * Writes a new project from the template: package.json depending on reelstream, a strict
 * tsconfig, one Avro schema, a pipeline and its job, a unit test on the test driver, an
 * integration test against the local stack, a README. `{{placeholders}}` are filled in; the
 * tools' versions are the ones this package is developed with, so the project starts on a
 * combination that is tested here.
 */
export function scaffold(options: ScaffoldOptions): Scaffolded {
  const dir = resolve(options.dir);
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0)) {
    throw new ConfigError('<dir>', `${options.dir} exists and is not an empty folder`);
  }
  const name = packageName(basename(dir));
  const ours = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
  };
  const tool = (pkg: string): string => {
    const version = ours.devDependencies?.[pkg];
    if (version === undefined) {
      throw new Error(`package.json of reelstream lists no ${pkg} to scaffold with`);
    }
    return version;
  };
  const values: Record<string, string> = {
    name,
    applicationId: name,
    namespace: name.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^(\d)/, '_$1'),
    reelstreamSpec: dependencySpec(options.reelstreamSpec, dir),
    typesNodeVersion: tool('@types/node'),
    tsxVersion: tool('tsx'),
    typescriptVersion: tool('typescript'),
  };
  const files: string[] = [];
  for (const template of templateFiles(templateDir)) {
    const target = template.replace(/\.tmpl$/, '').replace(/(^|\/)_gitignore$/, '$1.gitignore');
    const text = readFileSync(join(templateDir, template), 'utf8').replace(
      /\{\{(\w+)\}\}/g,
      (_, key: string) => {
        const value = values[key];
        if (value === undefined) {
          throw new Error(`template ${template} uses {{${key}}}, which init does not fill`);
        }
        return value;
      },
    );
    mkdirSync(dirname(join(dir, target)), { recursive: true });
    writeFileSync(join(dir, target), text);
    files.push(target);
  }
  return { name, files };
}

/** An npm package name from a folder name: lower case, only the characters npm allows. */
function packageName(folder: string): string {
  const name = folder
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '');
  if (name === '') {
    throw new ConfigError('<dir>', `cannot make a package name of "${folder}"`);
  }
  return name;
}

/** `file:` specs are written relative to the project, so the folder can move with its source. */
function dependencySpec(spec: string, projectDir: string): string {
  if (!spec.startsWith('file:')) {
    return spec;
  }
  const path = spec.slice('file:'.length);
  const absolute = isAbsolute(path) ? path : resolve(path);
  if (!existsSync(absolute)) {
    throw new ConfigError('--reelstream', `${absolute} does not exist`);
  }
  const fromProject = relative(projectDir, absolute);
  return `file:${fromProject.startsWith('.') ? fromProject : `./${fromProject}`}`;
}

function templateFiles(root: string, under = ''): string[] {
  return readdirSync(join(root, under), { withFileTypes: true })
    .flatMap((entry) =>
      entry.isDirectory()
        ? templateFiles(root, join(under, entry.name))
        : [join(under, entry.name)],
    )
    .sort();
}
