import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type Docker from 'dockerode';
import type { VolumeSpec } from '../../../src/domain/volumes.js';
import { volumeLabels } from '../../../src/runtime/docker/labels.js';
import { VolumeStates } from '../../../src/runtime/docker/volume-states.js';

const owner = { region: 'eu', instanceId: 'a1b2c3' };
const DRIVERS = new Map([
  ['nfs', { driver: 'local', driverOpts: { type: 'nfs', o: 'addr=10.0.0.9', device: ':/exports' } }],
  ['broken', { driver: 'no-such-driver' }],
]);

/** An engine with named volumes in memory; `down` makes every call fail as an unreachable socket does. */
function fakeEngine() {
  const volumes = new Map<string, { Name: string; Labels: Record<string, string>; Driver?: string; DriverOpts?: Record<string, string> }>();
  const engine = { down: false, creates: 0 };
  const call = <T>(answer: () => T): Promise<T> => {
    if (engine.down) return Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }));
    try {
      return Promise.resolve(answer());
    } catch (error) {
      return Promise.reject(error);
    }
  };
  const docker = {
    createVolume: (options: { Name: string; Labels: Record<string, string>; Driver?: string; DriverOpts?: Record<string, string> }) =>
      call(() => {
        engine.creates++;
        if (options.Driver === 'no-such-driver') throw Object.assign(new Error('(HTTP code 500)'), { statusCode: 500, json: { message: 'plugin "no-such-driver" not found' } });
        if (!volumes.has(options.Name)) volumes.set(options.Name, options);
        return {};
      }),
    getVolume: (name: string) => ({
      inspect: () =>
        call(() => {
          const volume = volumes.get(name);
          if (!volume) throw Object.assign(new Error('no such volume'), { statusCode: 404 });
          return volume;
        }),
    }),
    listVolumes: () => call(() => ({ Volumes: [...volumes.values()].filter((volume) => volume.Labels['io.wharf.region'] === owner.region) })),
  } as unknown as Docker;
  return { docker, volumes, engine };
}

function statesOf(docker: Docker, stored: VolumeSpec[] = []): VolumeStates {
  return new VolumeStates(docker, owner, DRIVERS, { all: async () => stored });
}

async function settled(states: VolumeStates, project: string, volume: string): Promise<string> {
  for (let i = 0; i < 100 && states.state(project, volume).status === 'creating'; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  return states.state(project, volume).status;
}

const spec = (name: string, storageType: string): VolumeSpec => ({ project: 'p', name, sizeGi: 1, storageType });

describe('Docker volume states', () => {
  test('a created volume is `creating` at once and `success` once the engine has it, made with its type\'s driver and labels', async () => {
    const { docker, volumes } = fakeEngine();
    const states = statesOf(docker);
    await states.sync({ make: true });
    states.create(spec('shared', 'nfs'));
    assert.equal(states.state('p', 'shared').status, 'creating', 'the API answers before the engine');
    assert.equal(await settled(states, 'p', 'shared'), 'success');
    const made = volumes.get('wharf_eu_p_shared')!;
    assert.deepEqual([made.Driver, made.DriverOpts], ['local', { type: 'nfs', o: 'addr=10.0.0.9', device: ':/exports' }]);
    assert.deepEqual(made.Labels, volumeLabels(owner, 'p', 'shared'));
    states.create(spec('plain', 'local'));
    assert.equal(await settled(states, 'p', 'plain'), 'success');
    assert.equal(volumes.get('wharf_eu_p_plain')!.Driver, undefined, 'a type without a driver: Docker\'s default, local');
  });

  test("a replica that does not lead only looks: what the leader made is `success`, what it has not made yet stays `creating`", async () => {
    const { docker, engine } = fakeEngine();
    const stored = [spec('made', 'local'), spec('later', 'local')];
    const leader = statesOf(docker, stored.slice(0, 1));
    await leader.sync({ make: true });
    const follower = statesOf(docker, stored);
    await follower.sync({ make: false });
    assert.equal(engine.creates, 1, 'the follower made nothing');
    assert.equal(follower.state('p', 'made').status, 'success');
    assert.equal(follower.state('p', 'later').status, 'creating');
  });

  test('a volume the engine refuses is `error` with the engine\'s sentence; one of another owner names whose it is', async () => {
    const { docker, volumes } = fakeEngine();
    const states = statesOf(docker);
    await states.sync({ make: true });
    states.create(spec('bad', 'broken'));
    assert.equal(await settled(states, 'p', 'bad'), 'error');
    assert.equal(states.state('p', 'bad').message, 'plugin "no-such-driver" not found');

    volumes.set('wharf_eu_p_taken', { Name: 'wharf_eu_p_taken', Labels: { 'io.wharf.region': 'eu', 'io.wharf.instance': 'ffffff' } });
    states.create(spec('taken', 'local'));
    assert.equal(await settled(states, 'p', 'taken'), 'error');
    assert.match(states.state('p', 'taken').message, /io\.wharf\.instance=ffffff/);
  });

  test('while the engine is down a volume stays `creating`; a (re)connect makes every stored volume the engine lacks', async () => {
    const { docker, engine, volumes } = fakeEngine();
    const stored = [spec('kept', 'nfs')];
    volumes.set('wharf_eu_p_kept', { Name: 'wharf_eu_p_kept', Labels: volumeLabels(owner, 'p', 'kept') });
    const states = statesOf(docker, stored);
    await states.sync({ make: true });
    engine.down = true;
    stored.push(spec('late', 'local'));
    states.create(stored[1]!);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(states.state('p', 'late').status, 'creating');
    await assert.rejects(states.sync({ make: true }), /ECONNREFUSED/, 'a connect that fails is retried by the watch');

    engine.down = false;
    engine.creates = 0;
    await states.sync({ make: true });
    assert.deepEqual([states.state('p', 'late').status, states.state('p', 'kept').status], ['success', 'success']);
    assert.equal(engine.creates, 1, 'only the missing volume is made');
    assert.ok(volumes.has('wharf_eu_p_late'), 'made on the engine');
  });

  test('before the first connect has checked the region\'s claim, a create touches nothing; that connect makes the volume', async () => {
    const { docker, engine } = fakeEngine();
    const stored = [spec('early', 'local')];
    const states = statesOf(docker, stored);
    states.create(stored[0]!);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual([engine.creates, states.state('p', 'early').status], [0, 'creating']);
    await states.sync({ make: true });
    assert.deepEqual([engine.creates, states.state('p', 'early').status], [1, 'success']);
  });

  test('a volume first mounted by a pod is made with the storage type its pod carries; a deleted one is forgotten', async () => {
    const { docker, volumes } = fakeEngine();
    const states = statesOf(docker, []);
    assert.equal(await states.ensure('p', 'mounted', 'nfs'), 'wharf_eu_p_mounted');
    assert.equal(volumes.get('wharf_eu_p_mounted')!.DriverOpts?.type, 'nfs');
    assert.equal(states.state('p', 'mounted').status, 'success');
    states.forget('p', 'mounted');
    assert.equal(states.state('p', 'mounted').status, 'creating');
  });
});
