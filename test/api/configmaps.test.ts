import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RuntimeUnavailableError, type Runtime } from '../../src/runtime/runtime.js';
import { apiPaths, assertError, assertInvalid, createApp, eventually, isRunning } from '../support/api.js';
import { startWharf, statefulService, statelessService, type TestWharf } from '../support/wharf.js';

describe('ConfigMaps API', () => {
  let wharf: TestWharf;
  const paths = apiPaths('local', 'cfg');
  const other = apiPaths('local', 'othercfg');

  before(async () => {
    wharf = await startWharf();
  });
  after(async () => wharf.stop());

  it('creates (201), gets, lists and updates (200) a ConfigMap', async () => {
    const created = await wharf.request('POST', paths.configMaps, { name: 'settings', data: { mode: 'fast', 'app.conf': 'a=1\n' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(
      { ...created.body, creationTime: undefined, updateTime: undefined },
      { name: 'settings', projectName: 'cfg', data: { mode: 'fast', 'app.conf': 'a=1\n' }, version: 1, creationTime: undefined, updateTime: undefined },
    );
    assert.deepEqual((await wharf.request('GET', paths.configMap('settings'))).body, created.body);
    assert.deepEqual((await wharf.request('GET', paths.configMaps)).body, [created.body]);

    const updated = await wharf.request('PUT', paths.configMap('settings'), { data: { mode: 'slow' } });
    assert.equal(updated.status, 200);
    assert.deepEqual(updated.body.data, { mode: 'slow' });
    assert.equal(updated.body.version, 2);
    const same = await wharf.request('PUT', paths.configMap('settings'), { data: { mode: 'slow' } });
    assert.equal(same.body.version, 2, 'the same data again is no change');
  });

  it('refuses a duplicate (409 ConfigMapExists) and answers 404 ConfigMapNotFound for an unknown name', async () => {
    assertError(await wharf.request('POST', paths.configMaps, { name: 'settings', data: {} }), 409, 'ConfigMapExists', '"settings"');
    assertError(await wharf.request('GET', paths.configMap('nope')), 404, 'ConfigMapNotFound', '"nope"');
    assertError(await wharf.request('PUT', paths.configMap('nope'), { data: {} }), 404, 'ConfigMapNotFound', '"nope"');
    assertError(await wharf.request('DELETE', paths.configMap('nope')), 404, 'ConfigMapNotFound', '"nope"');
  });

  it('validates names, keys and the total size, naming the field', async () => {
    assertInvalid(await wharf.request('POST', paths.configMaps, { name: 'Bad_Name', data: {} }), 'name');
    assertInvalid(await wharf.request('POST', paths.configMaps, { name: 'a'.repeat(65), data: {} }), 'name');
    assertInvalid(await wharf.request('POST', paths.configMaps, { name: 'ok', data: { 'bad key': 'v' } }), 'data');
    assertInvalid(await wharf.request('POST', paths.configMaps, { name: 'ok', data: { '..': 'v' } }), 'data');
    assertInvalid(await wharf.request('POST', paths.configMaps, { name: 'ok', data: { key: 1 } }), 'data.key');
    assertInvalid(await wharf.request('POST', paths.configMaps, { name: 'ok' }), 'data');
    assertInvalid(await wharf.request('PUT', `${paths.configMap('settings')}?fieldValidation=Strict`, { data: {}, extra: 1 }), 'extra');
    // The data limit is the body limit: a larger ConfigMap never gets past the body parser.
    const big = await wharf.request('POST', paths.configMaps, { name: 'big', data: { a: 'x'.repeat(1024 * 1024) } });
    assertError(big, 413, 'PayloadTooLarge');
    assert.equal((await wharf.request('GET', paths.configMap('big'))).status, 404, 'nothing was created');
  });

  it('keeps ConfigMaps inside their project', async () => {
    assertError(await wharf.request('GET', other.configMap('settings')), 404, 'ConfigMapNotFound');
    assert.deepEqual((await wharf.request('GET', other.configMaps)).body, []);
    const mine = await wharf.request('POST', other.configMaps, { name: 'settings', data: { mode: 'other' } });
    assert.equal(mine.status, 201, 'the same name in another project is another ConfigMap');
    assert.equal((await wharf.request('GET', paths.configMap('settings'))).body.data.mode, 'slow');
  });

  it('refuses to delete a ConfigMap a service uses (409 ConfigMapInUse), deletes it (202, then gone) once unused', async () => {
    await wharf.request('POST', paths.configMaps, { name: 'cm', data: { key1: 'v1' } });
    await createApp(wharf, 'shop', [statelessService('web')], paths);
    assertError(await wharf.request('DELETE', paths.configMap('cm')), 409, 'ConfigMapInUse', 'shop/web');
    assert.equal((await wharf.request('GET', paths.configMap('cm'))).body.deleting, undefined, 'a refused DELETE marks nothing');
    // A service of another project with the same ConfigMap name does not hold this one.
    await wharf.request('POST', other.configMaps, { name: 'cm', data: { key1: 'x' } });
    assert.equal((await wharf.request('DELETE', paths.service('shop', 'web'))).status, 204);
    const accepted = await wharf.request('DELETE', paths.configMap('cm'));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.deepEqual(accepted.body.data, { key1: 'v1' });
    assert.equal(accepted.body.deleting.message, '');
    await goneEventually(paths.configMap('cm'));
    assert.equal((await wharf.request('GET', other.configMap('cm'))).body.data.key1, 'x', 'the other project\'s ConfigMap stays');
  });

  it('keeps a ConfigMap deleting while the engine does not answer: listed with the failure, missing to services, its name taken; it goes once the engine answers', async () => {
    await wharf.request('POST', paths.configMaps, { name: 'doomed', data: { mode: 'old' } });
    const runtime = wharf.simulated as Runtime;
    const calls: string[] = [];
    let answers = false;
    // The simulated runtime keeps nothing of a ConfigMap, so it has no deleteConfigMap: this one fails until told.
    runtime.deleteConfigMap = async (project, name) => {
      calls.push(`${project}/${name}`);
      if (!answers) throw new RuntimeUnavailableError('the simulated engine does not answer');
    };
    try {
      const accepted = await wharf.request('DELETE', paths.configMap('doomed'));
      assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
      const failed = await eventually(() => wharf.request('GET', paths.configMap('doomed')), (answer) => answer.body.deleting?.message !== '');
      assert.match(failed.body.deleting.message, /does not answer/);
      assert.equal(failed.body.deleting.since, accepted.body.deleting.since);
      assert.ok((await wharf.request('GET', paths.configMaps)).body.some((cm: any) => cm.name === 'doomed' && cm.deleting), 'still listed, being deleted');
      assert.equal((await wharf.request('DELETE', paths.configMap('doomed'))).status, 202, 'a DELETE while deleting is accepted again');

      assertError(await wharf.request('POST', paths.configMaps, { name: 'doomed', data: {} }), 409, 'ConfigMapExists', /"doomed" in project "cfg" is being deleted/);
      assertError(await wharf.request('PUT', paths.configMap('doomed'), { data: { mode: 'new' } }), 409, 'ConfigMapExists', /being deleted .*: it cannot change/);
      // A new service that reads it is accepted and waits, as for a ConfigMap that does not exist.
      const reader = statelessService('web', { containers: [{ image: 'nginx:1', envs: [{ type: 'configMap', name: 'MODE', value: 'doomed.mode' }] }] });
      await createApp(wharf, 'doomed', [reader], paths);
      const waiting = await wharf.waitForService(paths.service('doomed', 'web'), (s) => s.pods[0]?.status.reason === 'ConfigMapNotFound');
      assert.equal(waiting.pods[0].status.message, 'ConfigMap "doomed" does not exist in project "cfg"');

      await eventually(async () => calls.length, (count) => count >= 2);
      answers = true;
      await goneEventually(paths.configMap('doomed'));
      assert.ok(calls.every((call) => call === 'cfg/doomed'), `only the ConfigMap deleted was asked for: ${calls.join(', ')}`);
      // Created anew, it is a new ConfigMap, and the waiting pod starts with it.
      assert.equal((await wharf.request('POST', paths.configMaps, { name: 'doomed', data: { mode: 'new' } })).status, 201);
      await wharf.waitForService(paths.service('doomed', 'web'), isRunning);
    } finally {
      delete runtime.deleteConfigMap;
    }
  });

  /** Answers 404 ConfigMapNotFound before long: the controller removed it. */
  async function goneEventually(path: string): Promise<void> {
    const gone = await eventually(() => wharf.request('GET', path), (answer) => answer.status === 404);
    assertError(gone, 404, 'ConfigMapNotFound');
  }

  it('rolls the pods of every service that reads a ConfigMap when it changes, with no new revision', async () => {
    await wharf.request('POST', paths.configMaps, { name: 'cm', data: { key1: 'v1' } });
    await createApp(wharf, 'roll', [statelessService('web', { instanceNumber: 2 }), statefulService('db'), statelessService('plain', { containers: [{ image: 'nginx:1' }] })], paths);
    // Running pods come before the controller records the rollout complete (a store write of its own).
    const settled = (s: any): boolean => isRunning(s) && s.status.rollout.state === 'complete';
    const before = Object.fromEntries(await Promise.all(['web', 'db', 'plain'].map(async (name) => [name, await wharf.waitForService(paths.service('roll', name), settled)])));

    assert.equal((await wharf.request('PUT', paths.configMap('cm'), { data: { key1: 'v2' } })).status, 200);
    const podNames = (service: any): string[] => service.pods.map((pod: any) => pod.name).sort();
    const web = await wharf.waitForService(
      paths.service('roll', 'web'),
      (s) => isRunning(s) && podNames(s).every((name) => !podNames(before.web).includes(name)) && s.status.rollout.state === 'complete',
    );
    assert.equal(web.revision, 1);
    assert.equal(before.web.status.rollout.state, 'complete');
    assert.ok(web.status.rollout.updateTime > before.web.status.rollout.updateTime, 'the ConfigMap change rolled out as a rollout of its own, which completed');
    assert.equal((await wharf.request('GET', paths.revisions('roll', 'web'))).body.length, 1, 'no new revision');
    const db = await wharf.waitForService(paths.service('roll', 'db'), (s) => isRunning(s) && s.pods[0].creationTime !== before.db.pods[0].creationTime);
    assert.equal(db.revision, 1);
    const plain = (await wharf.request('GET', paths.service('roll', 'plain'))).body;
    assert.deepEqual(podNames(plain), podNames(before.plain), 'a service that reads no ConfigMap keeps its pods');
  });

  describe('on the simulated runtime, pods wait for what they read', () => {
    const reader = (name: string, value: string) =>
      statelessService(name, { containers: [{ image: 'nginx:1', configs: [{ configMapName: 'later', mountPath: '/etc/later' }], envs: [{ type: 'configMap', name: 'MODE', value }] }] });
    /** The one pod waits for a ConfigMap, its message matching `pattern`. */
    const waitingFor = (path: string, pattern: RegExp) =>
      wharf.waitForService(path, (s) => s.pods.length === 1 && s.pods[0].status.reason === 'ConfigMapNotFound' && pattern.test(s.pods[0].status.message));

    it('keeps a service created before its ConfigMap pending, then waits for the key, then runs', async () => {
      await createApp(wharf, 'late', [reader('web', 'later.mode')], paths);
      const path = paths.service('late', 'web');
      const missing = await waitingFor(path, /^ConfigMap "later" does not exist in project "cfg"$/);
      assert.equal(missing.status.phase, 'pending');
      assert.equal(missing.pods[0].status.phase, 'pending');
      assert.deepEqual(missing.pods[0].containerStatuses.map((c: any) => [c.state, c.reason]), [['waiting', 'ConfigMapNotFound']]);

      assert.equal((await wharf.request('POST', paths.configMaps, { name: 'later', data: { other: 'x' } })).status, 201);
      await waitingFor(path, /^ConfigMap "later" has no key "mode" \(env MODE\) in project "cfg"$/);

      assert.equal((await wharf.request('PUT', paths.configMap('later'), { data: { mode: 'on' } })).status, 200);
      const running = await wharf.waitForService(path, isRunning);
      assert.equal(running.revision, 1, 'the ConfigMap started it, no new revision did');
    });

    it('reads own keys only: an env from "later.constructor" waits', async () => {
      await createApp(wharf, 'proto', [reader('web', 'later.constructor')], paths);
      const waiting = await waitingFor(paths.service('proto', 'web'), /has no key "constructor"/);
      assert.equal(waiting.status.phase, 'pending');
    });
  });
});
