import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertInvalid, createApp } from '../support/api.js';
import { startWharf, statelessService, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
const projectServices = '/regions/local/v1/projects/proj/microservices';

describe('?limit=&continue=: lists in pages, Kubernetes-style', () => {
  let wharf: TestWharf;

  /** Every page of `url`, `limit` at a time, following the x-continue header; each page's names. */
  async function pages(url: string, limit: number, name: (item: any) => string): Promise<string[][]> {
    const seen: string[][] = [];
    let token: string | undefined;
    do {
      const answer = await wharf.request('GET', `${url}?limit=${limit}${token === undefined ? '' : `&continue=${encodeURIComponent(token)}`}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.ok(answer.body.length <= limit, `a page holds at most ${limit}`);
      seen.push(answer.body.map(name));
      token = answer.headers['x-continue'] as string | undefined;
    } while (token !== undefined);
    return seen;
  }

  before(async () => {
    wharf = await startWharf();
    // Created out of order: pages follow names, not creation.
    for (const app of ['delta', 'alpha', 'echo', 'charlie', 'bravo']) {
      await createApp(wharf, app, ['web', 'api', 'db'].map((name) => statelessService(name, { instanceNumber: 1 })));
    }
  });
  after(() => wharf.stop());

  it('pages the apps of a project by name; the pages together are the whole list, which stays the default', async () => {
    const whole = await wharf.request('GET', paths.apps);
    assert.equal(whole.headers['x-continue'], undefined, 'an unpaged answer has no continue');
    assert.deepEqual(whole.body.map((app: any) => app.name), ['alpha', 'bravo', 'charlie', 'delta', 'echo']);
    assert.deepEqual(await pages(paths.apps, 2, (app) => app.name), [['alpha', 'bravo'], ['charlie', 'delta'], ['echo']]);
    const [first] = (await wharf.request('GET', `${paths.apps}?limit=2`)).body;
    assert.deepEqual(first, whole.body[0], 'a paged app is the same object as listed whole');
  });

  it('pages the services of an app, and of a project across its apps (by service name, then app)', async () => {
    assert.deepEqual(await pages(paths.services('charlie'), 2, (service) => service.name), [['api', 'db'], ['web']]);
    const byProject = (await pages(projectServices, 4, (service) => `${service.name}/${service.appName}`)).flat();
    const whole = (await wharf.request('GET', projectServices)).body.map((service: any) => `${service.name}/${service.appName}`);
    assert.equal(byProject.length, 15);
    assert.deepEqual(byProject, whole, 'the pages together are the unpaged list, in its order');
  });

  it('a page starts after the last item of the one before: what is created or deleted meanwhile moves nothing else', async () => {
    const first = await wharf.request('GET', `${paths.apps}?limit=2`);
    const token = first.headers['x-continue'] as string;
    await createApp(wharf, 'aardvark');
    await createApp(wharf, 'foxtrot');
    assert.equal((await wharf.request('DELETE', paths.app('bravo'))).status, 204);
    const rest = await wharf.request('GET', `${paths.apps}?continue=${encodeURIComponent(token)}`);
    assert.deepEqual(rest.body.map((app: any) => app.name), ['charlie', 'delta', 'echo', 'foxtrot'], 'continue alone: the rest, nothing skipped or repeated');
    assert.equal(rest.headers['x-continue'], undefined, 'the last page has no continue');
  });

  it('refuses a limit below 1 and a continue that is not a token of that list, changing nothing', async () => {
    assertInvalid(await wharf.request('GET', `${paths.apps}?limit=0`), 'limit');
    assertInvalid(await wharf.request('GET', `${paths.apps}?limit=two`), 'limit');
    assertInvalid(await wharf.request('GET', `${paths.apps}?continue=not-a-token`), 'continue');
    const servicesToken = (await wharf.request('GET', `${paths.services('charlie')}?limit=1`)).headers['x-continue'] as string;
    assertInvalid(await wharf.request('GET', `${paths.apps}?limit=1&continue=${encodeURIComponent(servicesToken)}`), 'continue');
  });
});
