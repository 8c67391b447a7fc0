import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { cleanProject, dockerSuiteSkip, eventually, IMAGES, lockDocker, projectContainers, spawnWharf, type WharfProcess } from '../../support/docker.js';

const REGION = 'dkr-crash';
const PROJECT = 'crash';
const paths = apiPaths(REGION, PROJECT);
const WEB = paths.service('shop', 'web');
const skip = await dockerSuiteSkip();

const httpd = (image: string) => [{ name: 'httpd', image, command: ['httpd'], args: ['-f', '-p', '80', '-h', '/'] }];

describe('Docker runtime: Wharf killed mid-rollout', { skip }, () => {
  let unlock: () => void;
  let wharf: WharfProcess | undefined;
  let dataDir: string;
  before(async () => {
    unlock = await lockDocker();
    await cleanProject(REGION, PROJECT);
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-crash-'));
  });
  after(async () => {
    await wharf?.kill('SIGTERM');
    await cleanProject(REGION, PROJECT);
    rmSync(dataDir, { recursive: true, force: true });
    unlock?.();
  });

  const service = async (w: WharfProcess) => (await w.request('GET', WEB)).body;

  it('converges after a SIGKILL during an upgrade, with no orphan or duplicate container', async () => {
    wharf = await spawnWharf(REGION, dataDir);
    const created = await wharf.request('POST', paths.apps, {
      name: 'shop',
      microservices: [{ name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 3, containers: httpd(IMAGES.app1) }],
    });
    assert.equal(created.status, 201);
    await eventually('3 running pods', async () => ((await service(wharf!)).status.phase === 'running' ? true : undefined));

    assert.equal((await wharf.request('PUT', `${WEB}/upgrade`, { containers: httpd(IMAGES.app2) })).status, 200);
    // Kill as soon as the engine holds pods of both revisions: the rollout is half done.
    await eventually('a rollout half done', async () => {
      const revisions = new Set((await projectContainers(REGION, PROJECT)).map((c) => c.Labels['io.wharf.revision']));
      return revisions.has('1') && revisions.has('2') ? true : undefined;
    }, 10_000);
    await wharf.kill('SIGKILL');

    wharf = await spawnWharf(REGION, dataDir);
    const converged = await eventually('the rollout to finish after the restart', async () => {
      const s = await service(wharf!);
      return s.status.phase === 'running' && s.status.updated === 3 && s.pods.length === 3 ? s : undefined;
    });
    assert.equal(converged.revision, 2);

    const containers = await projectContainers(REGION, PROJECT);
    const pods = new Set(containers.map((c) => c.Labels['io.wharf.pod']));
    assert.deepEqual([...pods].sort(), converged.pods.map((pod: any) => pod.name).sort(), 'no orphan pod');
    assert.equal(containers.length, 6, 'one sandbox and one container per pod, no duplicate');
    for (const container of containers) {
      assert.equal(container.State, 'running', container.Names[0]);
      assert.equal(container.Labels['io.wharf.revision'], '2', container.Names[0]);
    }
  });
});
