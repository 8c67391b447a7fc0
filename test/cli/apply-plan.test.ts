import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planApply, type ApplyPlan } from '../../src/cli/apply-plan.js';
import { liveState, perform } from '../../src/cli/apply-run.js';
import { WharfClient } from '../../src/cli/client.js';
import { parseManifest, readManifest, type Manifest } from '../../src/cli/manifest.js';
import { renderPlan } from '../../src/cli/plan-view.js';
import { apiPaths } from '../support/api.js';
import { listen } from '../support/sse.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const paths = apiPaths();

/** A manifest of one service `web` in `app`; `service` is YAML lines of the service under `- `, indented by 6. */
function shop(service: string[], extra: string[] = [], app = 'shop'): Manifest {
  return parseManifest(['app:', `  name: ${app}`, '  microservices:', '    - name: web', ...service.map((line) => `      ${line}`), ...extra].join('\n'), 'shop.yaml');
}

const kinds = (plan: ApplyPlan): string[] => plan.actions.map((action) => `${action.kind} ${action.name}`);

describe('apply plans: what differs between a manifest and what the API answers, compared with the server defaults filled', () => {
  let wharf: TestWharf;
  let client: WharfClient;
  /** Plans `manifest` against what runs, then performs the plan as `wharf apply` does; answers the plan. */
  const apply = async (manifest: Manifest): Promise<ApplyPlan> => {
    const plan = planApply(manifest, await liveState(client, manifest.app.name));
    assert.deepEqual(plan.conflicts, []);
    for (const action of plan.actions) await perform(client, manifest.app.name, action);
    return plan;
  };
  const plan = async (manifest: Manifest): Promise<ApplyPlan> => planApply(manifest, await liveState(client, manifest.app.name));
  const revisions = async (app: string, service: string): Promise<number[]> =>
    (await wharf.request('GET', paths.revisions(app, service))).body.map((revision: { revision: number }) => revision.revision);

  before(async () => {
    wharf = await startWharf();
    client = new WharfClient({ url: await listen(wharf.api), token: wharf.adminToken, region: 'local', project: 'proj' });
  });
  after(() => wharf.stop());

  it("plans the seed's examples as creates, what services use first; applied, the same files plan nothing", async () => {
    const stateless = readManifest(join(EXAMPLES, 'stateless.yaml'));
    const stateful = readManifest(join(EXAMPLES, 'stateful.yaml'));
    assert.deepEqual(kinds(await apply(stateless)), ['createConfigMap cm', 'createApp app0', 'createService service0']);
    assert.deepEqual(kinds(await apply(stateful)), ['createVolume ceph-name', 'createApp app1', 'createService service0']);
    for (const manifest of [stateless, stateful]) assert.deepEqual(await plan(manifest), { actions: [], conflicts: [] });
    assert.deepEqual([await revisions('app0', 'service0'), await revisions('app1', 'service0')], [[1], [1]]);
  });

  it('fills what the server fills: a file that leaves every default out plans nothing once applied', async () => {
    const manifest = shop([
      'type: stateless',
      'resourceSpec: 1U1G',
      'gpuSpec: { type: "", number: 0 }',
      'ports: [{ port: 80, protocol: TCP, servicePort: 80 }]',
      'containers:',
      '  - image: nginx:1.27',
      '    envs: [{ name: MODE, value: fast }]',
      '    readinessProbe: { httpGet: { port: 80 } }',
    ]);
    assert.deepEqual(kinds(await apply(manifest)), ['createApp shop', 'createService web']);
    assert.deepEqual(await plan(manifest), { actions: [], conflicts: [] });
  });

  it("a changed image and args: one upgrade naming the container's fields, to the next revision; applied, nothing more", async () => {
    const base = ['type: stateless', 'resourceSpec: 1U1G', 'gpuSpec: { type: "", number: 0 }', 'ports: [{ port: 80, protocol: TCP, servicePort: 80 }]', 'containers:'];
    const manifest = shop([...base, '  - image: nginx:1.28', '    args: [--fast]', '    envs: [{ name: MODE, value: fast }]', '    readinessProbe: { httpGet: { port: 80 } }']);
    const upgrade = await apply(manifest);
    assert.deepEqual(upgrade.actions.map((action) => ('changes' in action ? [action.kind, action.changes] : [action.kind])), [
      ['upgradeService', [
        { field: 'containers[container-0].image', from: 'nginx:1.27', to: 'nginx:1.28' },
        { field: 'containers[container-0].args', from: [], to: ['--fast'] },
      ]],
    ]);
    assert.equal(upgrade.actions[0]!.kind === 'upgradeService' && upgrade.actions[0]!.newRevision, 2);
    assert.deepEqual(await plan(manifest), { actions: [], conflicts: [] });
    assert.deepEqual(await revisions('shop', 'web'), [1, 2]);

    // What the file no longer has is removed: the probe (sent as {}), the args; a container added by name.
    const trimmed = shop([...base, '  - image: nginx:1.28', '    envs: [{ name: MODE, value: fast }]', '  - name: side', '    image: busybox:1.36']);
    const changes = await apply(trimmed);
    assert.deepEqual(changes.actions.flatMap((action) => ('changes' in action ? action.changes.map((change) => change.field) : [])), [
      'containers[container-0].args',
      'containers[container-0].readinessProbe',
      'containers[side]',
    ]);
    const service = (await wharf.request('GET', paths.service('shop', 'web'))).body;
    assert.deepEqual(service.containers.map((container: { name: string }) => container.name), ['container-0', 'side']);
    assert.equal(service.containers[0].readinessProbe, undefined, 'the probe is removed');
    assert.deepEqual(await plan(trimmed), { actions: [], conflicts: [] });
  });

  it('rollout settings, ports, scale and ConfigMap data change without a new revision; minReadySeconds absent is left as it is', async () => {
    const manifest = (settings: string[], data: string): Manifest =>
      shop(['type: stateless', 'resourceSpec: 1U1G', ...settings, 'containers: [{ name: main, image: nginx:1.27 }]'], ['configMaps:', '  - name: settings', `    data: { mode: ${data} }`], 'tuned');
    await apply(manifest(['minReadySeconds: 5', 'progressDeadlineSeconds: 30', 'instanceNumber: 2', 'ports: [{ port: 80, protocol: TCP }]'], 'fast'));
    const changed = await plan(manifest(['instanceNumber: 3', 'ports: [{ port: 8080, protocol: TCP }]'], 'slow'));
    assert.deepEqual(changed.conflicts, []);
    assert.deepEqual(changed.actions.map((action) => ('changes' in action ? [action.kind, action.changes] : [action.kind])), [
      ['updateConfigMap', [{ field: 'data.mode', from: 'fast', to: 'slow' }]],
      ['upgradeService', [{ field: 'progressDeadlineSeconds', from: 30, to: 600 }]],
      ['setPorts', [{ field: 'ports', from: [{ port: 80, protocol: 'TCP' }], to: [{ port: 8080, protocol: 'TCP' }] }]],
      ['scaleService', [{ field: 'instanceNumber', from: 2, to: 3 }]],
    ]);
    assert.equal(changed.actions[1]!.kind === 'upgradeService' && changed.actions[1]!.newRevision, undefined);
    assert.equal(renderPlan(changed, 'tuned'), [
      '~ configmap settings: data (the pods of every service that reads it roll, with no new revision)',
      '    data.mode: "fast" → "slow"',
      '~ service tuned/web: upgrade (rollout settings only: no new revision)',
      '    progressDeadlineSeconds: 30 → 600',
      '~ service tuned/web: ports',
      '    ports:',
      '      - - port: 80',
      '      + - port: 8080',
      '          protocol: TCP',
      '~ service tuned/web: scale to 3',
      '    instanceNumber: 2 → 3',
      '',
    ].join('\n'));
  });

  it("what no API call can change is a conflict: a volume's size, a service's type", async () => {
    await apply(readManifest(join(EXAMPLES, 'stateful.yaml')));
    const manifest = parseManifest(
      ['volumes: [{ name: ceph-name, size: 20 }]', 'app:', '  name: app1', '  microservices:', '    - { name: service0, type: stateless, resourceSpec: 1U1G, containers: [{ image: nginx }] }'].join('\n'),
      'changed.yaml',
    );
    const conflicting = await plan(manifest);
    assert.deepEqual(conflicting.actions, []);
    assert.deepEqual(conflicting.conflicts, [
      'volume ceph-name: size is 10, the file says 20; a volume\'s size cannot change',
      'service app1/service0 is stateful, the file says stateless: the type cannot change (delete the service, then apply)',
    ]);
    assert.match(renderPlan(conflicting, 'app1'), /^! volume ceph-name: size is 10/m);
  });
});
