import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');

/** Every module specifier of a TypeScript source: static imports and re-exports (any line layout), side-effect and dynamic imports. */
function specifiers(source: string): string[] {
  const forms = [/\bfrom\s+['"]([^'"]+)['"]/g, /^\s*import\s+['"]([^'"]+)['"]/gm, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  return forms.flatMap((form) => [...source.matchAll(form)].map((match) => match[1]!));
}

/** Each file under src/ (as `api/routes/apps.ts`) with the files of src/ it imports, resolved the same way. */
function sourceImports(): Map<string, string[]> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  return new Map(
    files.map((file) => {
      const imported = specifiers(readFileSync(join(SRC, file), 'utf8'))
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => relative(SRC, resolve(SRC, dirname(file), specifier)).replace(/\.js$/, '.ts'));
      return [file.split('\\').join('/'), imported.map((path) => path.split('\\').join('/'))];
    }),
  );
}

/** `<importer> imports <imported>` for every import by a file under `from` of a file under `of`. */
function importsOf(graph: Map<string, string[]>, from: string, of: string): string[] {
  return [...graph].flatMap(([importer, imported]) =>
    importer.startsWith(from) ? imported.filter((path) => path.startsWith(of)).map((path) => `${importer} imports ${path}`) : [],
  );
}

describe('the layout of src/ (issue 13)', () => {
  const graph = sourceImports();
  // The CLI is the API's client: the request and response shapes it sends and reads are api/schemas'.
  const outsideApi = new Map([...graph].filter(([file]) => !file.startsWith('api/') && !file.startsWith('cli/')));

  it('reads every form of import a source uses', () => {
    const source = [
      "import type {\n  A,\n  B,\n} from '../api/schemas/a.js';",
      "export { C } from './c.js';",
      "import './side-effect.js';",
      "const d = await import('./d.js');",
    ].join('\n');
    assert.deepEqual(specifiers(source).sort(), ['../api/schemas/a.js', './c.js', './d.js', './side-effect.js']);
    // The rules below hold vacuously if the walk finds nothing: the API itself must show up importing its schemas.
    assert.ok(importsOf(graph, 'api/routes/', 'api/schemas/').length > 0, 'the walk of src/ finds the routes importing api/schemas');
  });

  it('nothing outside src/api (and its client, src/cli) imports src/api/schemas: the model is src/model, api/schemas holds request and response shapes', () => {
    assert.deepEqual(importsOf(outsideApi, '', 'api/schemas/'), []);
  });

  it('nothing under src/runtime imports src/store', () => {
    assert.deepEqual(importsOf(graph, 'runtime/', 'store/'), []);
  });

  it('the API never reaches the controller, and the store never reaches an engine or the controller (no engine call in a transaction)', () => {
    assert.deepEqual(importsOf(graph, 'api/', 'controller/'), []);
    assert.deepEqual([...importsOf(graph, 'store/', 'runtime/'), ...importsOf(graph, 'store/', 'controller/')], []);
  });

  it('no route changes an engine: writes go through the command layer and the change feed', () => {
    const routes = readdirSync(join(SRC, 'api', 'routes')).filter((file) => file.endsWith('.ts'));
    assert.ok(routes.length > 10, `the routes are found: ${routes.length}`);
    // An engine's or the controller's own call, optional or not; the command layer's of the same name are fine.
    const writes = /(?<!commands)\.(enqueue|execute|createVolume|deleteVolume|deleteConfigMap)(\?\.)?\(|new Date\(\)|randomUUID/;
    const found = routes.flatMap((file) =>
      readFileSync(join(SRC, 'api', 'routes', file), 'utf8').split('\n').flatMap((line, index) => (writes.test(line) ? [`${file}:${index + 1}: ${line.trim()}`] : [])),
    );
    assert.deepEqual(found, []);
  });

  it('the model imports nothing of src outside src/model, so every layer may use it', () => {
    const imports = importsOf(graph, 'model/', '').filter((line) => !line.split(' imports ')[1]!.startsWith('model/'));
    assert.deepEqual(imports, []);
  });
});
