import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DesiredService } from '../../src/domain/service.js';
import type { ObservedPod } from '../../src/domain/observed.js';
import type { Region } from '../../src/regions.js';
import { EngineChanges } from '../../src/runtime/engine-changes.js';
import { ServiceJson } from '../../src/api/service-json.js';
import { apiPaths, createApp } from '../support/api.js';
import { startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();

/** A region whose engine the test drives: its pods, whether it answers, and the change events it sends. */
function drivenRegion(): Region & { pods: ObservedPod[]; reachable: boolean } {
  const region = {
    name: 'local',
    changes: new EngineChanges(),
    pods: [] as ObservedPod[],
    reachable: true,
    runtime: {
      get known() {
        return region.reachable;
      },
      observe: () => ({ known: region.reachable, pods: [...region.pods] }),
    },
  };
  return region as unknown as Region & { pods: ObservedPod[]; reachable: boolean };
}

function runningPod(desired: DesiredService, readySince: Date): ObservedPod {
  return {
    name: `${desired.key.service}-0`,
    serviceUid: desired.uid,
    revision: desired.revision,
    podTemplateHash: desired.podTemplateHash,
    status: { phase: 'running', reason: '', message: '' },
    containerStatuses: [{ name: 'main', state: 'running', reason: '', message: '', ready: true, restartCount: 0, startedAt: readySince.toISOString() }],
    ready: true,
    readySince: readySince.toISOString(),
    creationTime: readySince.toISOString(),
  };
}

const parse = (json: Buffer): any => JSON.parse(json.toString());

describe('ServiceJson: services serialized once, served until they may differ', () => {
  let wharf: TestWharf;
  let desired: DesiredService;
  const noCommits = { onCommit: () => () => true };

  before(async () => {
    wharf = await startWharf();
    await createApp(wharf, 'shop', [statelessService('web', { instanceNumber: 1, containers: [{ name: 'main', image: 'example/web:1' }] })]);
    desired = await wharf.store.getService({ region: 'local', project: 'proj', app: 'shop', service: 'web' });
  });
  after(() => wharf.stop());

  it('answers what GET answers, and the same bytes again while nothing changed', async () => {
    const json = new ServiceJson(wharf.store, wharf.regions);
    const region = wharf.regions.get('local')!;
    const first = json.of(desired, region);
    assert.deepEqual(parse(first), (await wharf.request('GET', paths.service('shop', 'web'))).body);
    assert.equal(json.of(desired, region), first, 'the second read is served from what the first made');
  });

  it('serializes again for a new state (a write), an engine change, an engine that stops answering', () => {
    const region = drivenRegion();
    const json = new ServiceJson(noCommits, new Map([['local', region]]));
    const before = json.of(desired, region);
    region.pods.push(runningPod(desired, new Date(Date.now() - 60_000)));
    assert.equal(json.of(desired, region), before, 'no change event yet: the engine has not said so');
    region.changes.emit(desired.key);
    assert.deepEqual(parse(json.of(desired, region)).pods.map((pod: any) => pod.name), ['web-0']);

    region.reachable = false;
    assert.equal(parse(json.of(desired, region)).status.phase, 'unknown');

    const scaled = { ...desired, instanceNumber: 2 };
    assert.equal(parse(json.of(scaled, region)).instanceNumber, 2);
  });

  it('counts a pod available once it has run minReadySeconds, with no event to say so', async () => {
    const region = drivenRegion();
    const json = new ServiceJson(noCommits, new Map([['local', region]]));
    const patient = { ...desired, rollout: { ...desired.rollout, minReadySeconds: 1 } };
    region.pods.push(runningPod(patient, new Date()));
    assert.equal(parse(json.of(patient, region)).status.available, 0);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    assert.equal(parse(json.of(patient, region)).status.available, 1);
  });

  it('forgets a service a commit names', () => {
    let tell: (keys: typeof desired.key[]) => void = () => {};
    const region = drivenRegion();
    const json = new ServiceJson({ onCommit: (listener) => ((tell = listener as typeof tell), () => true) }, new Map([['local', region]]));
    const before = json.of(desired, region);
    tell([desired.key]);
    assert.notEqual(json.of(desired, region), before, 'made again after the commit');
  });

  it('puts a long list together in slices, giving other requests turns of the event loop between them', async () => {
    const region = drivenRegion();
    const json = new ServiceJson(noCommits, new Map([['local', region]]));
    const many = Array.from({ length: 3000 }, (_, index) => ({ ...desired, key: { ...desired.key, service: `web${index}` } }));
    let otherRequestServed = false;
    setImmediate(() => {
      otherRequestServed = true;
    });
    const list = parse(await json.list('many', many, region));
    assert.equal(otherRequestServed, true, 'a callback queued before the list ran before the list was done');
    assert.deepEqual(list.map((service: any) => service.name), many.map((state) => state.key.service));
  });

  it('answers a list read again with nothing in it changed with the same bytes, and a new list once one service changed', async () => {
    const region = drivenRegion();
    const json = new ServiceJson(noCommits, new Map([['local', region]]));
    const two = [desired, { ...desired, key: { ...desired.key, service: 'other' } }];
    const first = await json.list('two', two, region);
    assert.equal(await json.list('two', two, region), first, 'not put together again');
    assert.notEqual(await json.list('just one', [desired], region), first, 'another list is its own');
    region.pods.push(runningPod(desired, new Date(Date.now() - 60_000)));
    region.changes.emit(desired.key);
    const changed = parse(await json.list('two', two, region));
    assert.deepEqual(changed.map((service: any) => service.pods.length), [1, 0]);
  });

  it('puts apps together as GET /apps answers them', async () => {
    const json = new ServiceJson(wharf.store, wharf.regions);
    const apps = await wharf.store.listApps('local', 'proj');
    assert.deepEqual(parse(await json.apps('apps local/proj', apps, wharf.regions.get('local')!)), (await wharf.request('GET', paths.apps)).body);
    assert.deepEqual(parse(json.app(apps[0]!, wharf.regions.get('local')!)), (await wharf.request('GET', paths.app('shop'))).body);
  });
});
