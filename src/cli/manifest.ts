import { readFileSync } from 'node:fs';
import { Type, type Static } from 'typebox';
import { Settings } from 'typebox/system';
import { Value } from 'typebox/value';
import { LineCounter, parseDocument } from 'yaml';
import { fieldName } from '../api/errors.js';
import { AppCreate } from '../api/schemas/app.js';
import { PATTERN_WORDS } from '../api/schemas/common.js';
import { ProjectName } from '../model/names.js';
import { ConfigMapCreate } from '../api/schemas/configmap.js';
import { VolumeCreate } from '../api/schemas/volume.js';
import { normalizeBody } from '../api/tolerant-reading.js';
import { likelyTypo } from '../api/typos.js';

/**
 * What `wharf apply -f` reads: one app with its services, and the ConfigMaps and volumes they use,
 * each in the body the API's create takes, so a file is also a record of the requests:
 *
 *   project: shop              # optional: the context's project (--project) otherwise
 *   configMaps: [{name, data}]            # POST …/configmaps bodies
 *   volumes: [{name, size, storageType?}] # POST …/volumes bodies
 *   app:                                  # POST …/apps body
 *     name: web
 *     microservices: [{name, type, resourceSpec, containers, …}]   # POST …/microservices bodies
 */
export const Manifest = Type.Object(
  {
    project: Type.Optional(ProjectName),
    configMaps: Type.Optional(Type.Array(ConfigMapCreate, { maxItems: 100 })),
    volumes: Type.Optional(Type.Array(VolumeCreate, { maxItems: 100 })),
    app: AppCreate,
  },
  { additionalProperties: false },
);
export type Manifest = Static<typeof Manifest>;

/** One thing wrong with a file: where (line, field as the API names fields) and what. */
export interface ManifestProblem {
  line: number | undefined;
  field: string;
  message: string;
}

export class ManifestError extends Error {
  constructor(readonly file: string, readonly problems: ManifestProblem[]) {
    super(problems.map((problem) => `${file}${problem.line === undefined ? '' : `:${problem.line}`}: ${problem.message}`).join('\n'));
  }
}

/** Reads and checks a manifest file ("-": standard input). */
export function readManifest(file: string): Manifest {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
  return parseManifest(text, file);
}

/**
 * Parses YAML (or JSON) and checks it against the server's own request schemas, read as the server
 * reads a body (null is absent, output-only fields are dropped) except that unknown fields are
 * refused: a file is written by hand, and a misspelled field silently ignored would be applied as
 * its default.
 */
export function parseManifest(text: string, file: string): Manifest {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines });
  if (document.errors.length > 0) {
    throw new ManifestError(file, document.errors.map((error) => ({ line: error.linePos?.[0].line, field: '', message: error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:$/, '') })));
  }
  const body: unknown = document.toJS();
  const lineOf = (path: (string | number)[]): number | undefined => {
    // The deepest node that exists: a missing field is reported on the object that lacks it.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = document.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
      if (node?.range) return lines.linePos(node.range[0]).line;
    }
    return undefined;
  };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ManifestError(file, [{ line: 1, field: '', message: 'the file must be a mapping with app: (and optionally project:, configMaps:, volumes:)' }]);
  }
  // The reader walks any JSON schema; its parameter type is the server's view of one.
  const unknownFields = normalizeBody(body, Manifest as Parameters<typeof normalizeBody>[1], false);
  const invalid = schemaProblems(body, unknownFields);
  // The cross checks read a body of the right shape.
  const problems = invalid.length > 0 ? invalid : crossProblems(body as Manifest);
  if (problems.length > 0) {
    const located = problems.map(({ path, message }) => ({ line: lineOf(path), field: fieldName(`/${path.join('/')}`), message }));
    throw new ManifestError(file, located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  }
  return body as Manifest;
}

interface Problem {
  path: (string | number)[];
  message: string;
}

function pathOf(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .filter(Boolean)
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part.replaceAll('~1', '/').replaceAll('~0', '~')));
}

/**
 * TypeBox's errors in the API's words, one message per field: a union's branches are said together
 * ("must be \"\" or an absolute path"), and the echoes of an error already said are left out.
 */
function schemaProblems(body: unknown, unknownFields: readonly string[]): Problem[] {
  const byField = new Map<string, { path: (string | number)[]; expectations: string[]; union: boolean }>();
  const problems: Problem[] = [];
  for (const error of allErrors(body)) {
    const params = error.params as Record<string, unknown>;
    const path = pathOf(error.instancePath);
    const name = (child?: string): string => fieldName(error.instancePath, child);
    switch (error.keyword) {
      case 'required':
        for (const missing of params.requiredProperties as string[]) {
          const typo = likelyTypo(name(missing), unknownFields);
          problems.push({ path, message: `${name(missing)} is required${typo === undefined ? '' : ` (did you mean "${typo}"?)`}` });
        }
        break;
      case 'additionalProperties':
        for (const extra of params.additionalProperties as string[]) problems.push({ path: [...path, extra], message: `${name(extra)} is not a known field` });
        break;
      // Echoes: additionalProperties: false once per unknown field, and a key's pattern once more for the object.
      case 'boolean':
      case 'propertyNames':
        break;
      default: {
        const field = byField.get(name()) ?? { path, expectations: [], union: false };
        if (error.keyword === 'anyOf') field.union = true;
        else field.expectations.push(expectation(error.keyword, params, error.message));
        byField.set(name(), field);
      }
    }
  }
  for (const [name, { path, expectations, union }] of byField) {
    problems.push({ path, message: `${name} must ${union ? expectations.join(' or ') : expectations[0]}` });
  }
  return problems;
}

// TypeBox stops at 8 errors (its guard for servers checking untrusted input); someone fixing a file wants them all.
const MAX_ERRORS = 100;

function allErrors(body: unknown): ReturnType<typeof Value.Errors> {
  const { maxErrors } = Settings.Get();
  Settings.Set({ maxErrors: MAX_ERRORS });
  try {
    return Value.Errors(Manifest, body);
  } finally {
    Settings.Set({ maxErrors });
  }
}

/** What a value must be, after "must": the API's words for patterns, the allowed values listed. */
function expectation(keyword: string, params: Record<string, unknown>, message: string): string {
  switch (keyword) {
    case 'pattern':
      return `be ${PATTERN_WORDS[String(params.pattern)] ?? `text matching ${String(params.pattern)}`}`;
    case 'enum':
      return `be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'const':
      return `be ${JSON.stringify(params.allowedValue)}`;
    default:
      return message.replace(/^must /, '');
  }
}

/** What no schema of one request can say: names unique in the file, and the app named alike everywhere. */
function crossProblems(manifest: Manifest): Problem[] {
  const problems: Problem[] = [];
  const unique = (items: { name: string }[] | undefined, list: string): void => {
    const first = new Map<string, number>();
    items?.forEach((item, index) => {
      const earlier = first.get(item.name);
      if (earlier === undefined) first.set(item.name, index);
      else problems.push({ path: [...list.split('.'), index, 'name'], message: `${list}[${index}].name "${item.name}" is already ${list}[${earlier}]'s` });
    });
  };
  unique(manifest.configMaps, 'configMaps');
  unique(manifest.volumes, 'volumes');
  unique(manifest.app.microservices, 'app.microservices');
  const { project, app } = manifest;
  if (project !== undefined && app.projectName !== undefined && app.projectName !== project) {
    problems.push({ path: ['app', 'projectName'], message: `app.projectName "${app.projectName}" differs from project "${project}"` });
  }
  app.microservices?.forEach((service, index) => {
    if (service.appName !== undefined && service.appName !== app.name) {
      problems.push({ path: ['app', 'microservices', index, 'appName'], message: `app.microservices[${index}].appName "${service.appName}" differs from app.name "${app.name}"` });
    }
  });
  return problems;
}
