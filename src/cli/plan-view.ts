import { diffLines } from 'diff';
import { stringify } from 'yaml';
import { DEFAULT_INSTANCES, type Action, type ApplyPlan, type FieldChange } from './apply-plan.js';

/**
 * An apply plan as `wharf diff` prints it: one line per action (`+` create, `~` change, `!` a
 * conflict apply refuses), then each changed field under it, a value that spans lines (a list, a
 * ConfigMap file) as a line diff of its YAML. Empty when nothing differs.
 */
export function renderPlan(plan: ApplyPlan, app: string): string {
  const lines = plan.actions.flatMap((action) => [headline(action, app), ...changesOf(action).flatMap(renderChange)]);
  lines.push(...plan.conflicts.map((conflict) => `! ${conflict}`));
  return lines.map((line) => `${line}\n`).join('');
}

function headline(action: Action, app: string): string {
  const service = `service ${app}/${action.name}`;
  switch (action.kind) {
    case 'createConfigMap':
      return `+ configmap ${action.name} (${Object.keys(action.body.data).length} key(s))`;
    case 'updateConfigMap':
      return `~ configmap ${action.name}: data (the pods of every service that reads it roll, with no new revision)`;
    case 'createVolume':
      return `+ volume ${action.name} (${action.body.size} GiB${action.body.storageType ? `, ${action.body.storageType}` : ''})`;
    case 'createApp':
      return `+ app ${action.name}`;
    case 'createService': {
      const { type, instanceNumber, resourceSpec, containers } = action.body;
      return `+ ${service} (${type}, ${instanceNumber ?? DEFAULT_INSTANCES} × ${resourceSpec}, ${containers.map((container) => container.image).join(', ')})`;
    }
    case 'upgradeService':
      return `~ ${service}: upgrade${action.newRevision === undefined ? ' (rollout settings only: no new revision)' : ` to revision ${action.newRevision}`}`;
    case 'setPorts':
      return `~ ${service}: ports`;
    case 'scaleService':
      return `~ ${service}: scale to ${action.instances}`;
  }
}

function changesOf(action: Action): FieldChange[] {
  return 'changes' in action ? action.changes : [];
}

const INDENT = '    ';

function renderChange({ field, from, to }: FieldChange): string[] {
  if (isInline(from) && isInline(to)) return [`${INDENT}${field}: ${inline(from)} → ${inline(to)}`];
  const parts = diffLines(asYaml(from), asYaml(to));
  const lines = parts.flatMap((part) => {
    const marker = part.added ? '+ ' : part.removed ? '- ' : '  ';
    return part.value.replace(/\n$/, '').split('\n').map((line) => `${INDENT}  ${marker}${line}`);
  });
  return [`${INDENT}${field}:`, ...lines];
}

/** A value said on one line: a number, a boolean, absence, or a string without a line break. */
function isInline(value: unknown): boolean {
  return value === undefined || typeof value === 'number' || typeof value === 'boolean' || (typeof value === 'string' && !value.includes('\n'));
}

function inline(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}

function asYaml(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? `${value}\n` : stringify(value);
}
