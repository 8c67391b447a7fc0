import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import {
  address,
  cleanProject,
  docker,
  dockerExec,
  dockerSuiteSkip,
  eventually,
  IMAGES,
  lockDocker,
  projectContainers,
  serveUntilExit,
  startDockerWharf,
} from '../../support/docker.js';
import type { TestWharf } from '../../support/wharf.js';

const REGION = 'dkr-isolation';
// Under the legacy names both projects' volumes were the one Docker volume `wharf-rsv-x-data`.
const TENANTS = [
  { project: 'rsv-x', volume: 'data', secret: 'secret of rsv-x' },
  { project: 'rsv', volume: 'x-data', secret: 'secret of rsv' },
];
const FOREIGN = 'iso-foreign';
const PROJECTS = [...TENANTS.map((tenant) => tenant.project), FOREIGN];
const skip = await dockerSuiteSkip();

const statefulDb = (volume: string) => ({
  name: 'db',
  type: 'stateful',
  resourceSpec: '1U1G',
  containers: [{ name: 'app', image: IMAGES.app1, command: ['sleep'], args: ['infinity'], volumeMounts: [{ volumeName: volume, mountPath: '/data', readOnly: false }] }],
});
const dbContainer = (project: string) => `wharf_${REGION}_${project}_store-db-0_app`;

/** Runs a throwaway container of the test app image with a volume at /v. */
function withVolume(volume: string, script: string): string {
  return execFileSync('docker', ['run', '--rm', '-v', `${volume}:/v`, IMAGES.app1, 'sh', '-c', script], { encoding: 'utf8' });
}

describe('Docker runtime: tenants isolated on one engine', { skip }, () => {
  let unlock: (() => void) | undefined;
  let wharf: TestWharf;
  const clean = () => Promise.all(PROJECTS.map((project) => cleanProject(REGION, project, { volumes: true })));
  before(async () => {
    unlock = await lockDocker();
    await clean();
    wharf = await startDockerWharf(REGION);
  });
  after(async () => {
    await wharf?.stop();
    await clean();
    unlock?.();
  });

  it('gives projects whose legacy volume names collided their own volumes', async () => {
    for (const { project, volume } of TENANTS) {
      assert.equal((await wharf.request('POST', apiPaths(REGION, project).apps, { name: 'store', microservices: [statefulDb(volume)] })).status, 201);
    }
    for (const { project, secret } of TENANTS) {
      const db = apiPaths(REGION, project).service('store', 'db');
      await wharf.waitForService(db, (s) => s.status.phase === 'running', 30_000);
      dockerExec(dbContainer(project), ['sh', '-c', `echo '${secret}' > /data/${project}`]);
    }
    for (const { project, secret } of TENANTS) {
      assert.equal(dockerExec(dbContainer(project), ['ls', '/data']).trim(), project, `project ${project} sees only its own file`);
      assert.equal(dockerExec(dbContainer(project), ['cat', `/data/${project}`]).trim(), secret);
    }

    const names = TENANTS.map(({ project, volume }) => `wharf_${REGION}_${project}_${volume}`);
    assert.notEqual(names[0], names[1]);
    for (const [index, { project, volume }] of TENANTS.entries()) {
      const { Labels } = await docker.getVolume(names[index]!).inspect();
      assert.equal(Labels['io.wharf.region'], REGION);
      assert.equal(Labels['io.wharf.project'], project);
      assert.equal(Labels['io.wharf.volume'], volume);
      assert.match(Labels['io.wharf.instance'] ?? '', /^[0-9a-f]{12}$/, 'the volume names the instance that made it');
    }

    const rsv = apiPaths(REGION, 'rsv');
    assert.equal((await wharf.request('DELETE', rsv.service('store', 'db'))).status, 204);
    await eventually('rsv\'s containers to be gone', async () => ((await projectContainers(REGION, 'rsv')).length === 0 ? true : undefined));
    assert.equal((await wharf.request('DELETE', rsv.volume('x-data'))).status, 202);
    await eventually('rsv\'s volume to be deleted', async () => ((await wharf.request('GET', rsv.volume('x-data'))).status === 404 ? true : undefined));
    await assert.rejects(docker.getVolume(names[1]!).inspect(), 'rsv\'s Docker volume is gone');
    assert.equal(dockerExec(dbContainer('rsv-x'), ['cat', '/data/rsv-x']).trim(), TENANTS[0]!.secret, 'rsv-x\'s data is untouched');
    await docker.getVolume(names[0]!).inspect();
  });

  it('never mounts or deletes a volume of the right name that was made by someone else', async () => {
    const name = `wharf_${REGION}_${FOREIGN}_data`;
    const labels = { 'io.wharf.region': REGION, 'io.wharf.project': 'someone-else', 'io.wharf.volume': 'data', 'io.wharf.instance': 'ffffffffffff' };
    await docker.createVolume({ Name: name, Labels: labels });
    withVolume(name, 'echo theirs > /v/file');

    const paths = apiPaths(REGION, FOREIGN);
    const db = paths.service('store', 'db');
    assert.equal((await wharf.request('POST', paths.apps, { name: 'store', microservices: [statefulDb('data')] })).status, 201);
    const pending = await wharf.waitForService(db, (s) => s.pods[0]?.status.reason === 'VolumeConflict', 30_000);
    assert.equal(pending.pods[0].status.phase, 'pending');
    assert.match(pending.pods[0].status.message, /io\.wharf\.instance=ffffffffffff/, 'the message names whose volume it is');
    assert.match(pending.pods[0].status.message, /io\.wharf\.project=someone-else/);
    const running = (await projectContainers(REGION, FOREIGN)).filter((container) => container.Labels['io.wharf.role'] === 'container');
    assert.equal(running.length, 0, 'no container mounts the volume');

    assert.equal((await wharf.request('DELETE', db)).status, 204);
    await eventually('the pending pod to be gone', async () => ((await projectContainers(REGION, FOREIGN)).length === 0 ? true : undefined));
    // Accepted: the DELETE only marks Wharf's record. The controller finds the engine's volume is
    // someone else's, leaves it, and deletes the record: this project's volume never existed there.
    const accepted = await wharf.request('DELETE', paths.volume('data'));
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    await eventually('Wharf\'s record to go', async () => ((await wharf.request('GET', paths.volume('data'))).status === 404 ? true : undefined));
    const { Labels } = await docker.getVolume(name).inspect();
    assert.deepEqual(Labels, labels, 'the foreign volume is still there, its labels unchanged');
    assert.equal(withVolume(name, 'cat /v/file').trim(), 'theirs', 'the data is untouched');

    // Created again, it is refused on the engine as before: still someone else's, still untouched.
    assert.equal((await wharf.request('POST', paths.volumes, { name: 'data', size: 1 })).status, 201);
    const conflict = await eventually('the conflict to show', async () => {
      const { body } = await wharf.request('GET', paths.volume('data'));
      return body.status === 'error' ? body : undefined;
    });
    assert.match(conflict.statusMessage, /io\.wharf\.instance=ffffffffffff/);
    assert.equal(withVolume(name, 'cat /v/file').trim(), 'theirs', 'the data is untouched');
    await docker.getVolume(name).remove();
  });

  it('lets a second Wharf with the same region on the engine refuse to start, touching nothing', async () => {
    const before = await containerStates();
    assert.ok(before.size > 0, 'the first Wharf has containers');
    const marker = await docker.getVolume(`wharf_${REGION}_OWNER`).inspect();
    const owner = marker.Labels['io.wharf.instance']!;

    const dataDir = mkdtempSync(join(tmpdir(), 'wharf-isolation-'));
    try {
      const { code, stderr } = await serveUntilExit(REGION, dataDir);
      assert.notEqual(code, 0, 'wharf serve exits with an error');
      for (const part of [owner, hostname(), marker.Labels['io.wharf.claimed-at']!, `"${REGION}"`, address, `docker volume rm wharf_${REGION}_OWNER`]) {
        assert.ok(stderr.includes(part), `the message names ${part}:\n${stderr}`);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }

    assert.deepEqual(await containerStates(), before, 'the same containers, none restarted');
    const rsvX = await wharf.request('GET', apiPaths(REGION, 'rsv-x').service('store', 'db'));
    assert.equal(rsvX.body.status.phase, 'running');
  });
});

/** Every container of the region by id, with when it last started and how often it restarted. */
async function containerStates(): Promise<Map<string, string>> {
  const listed = await docker.listContainers({ all: true, filters: { label: [`io.wharf.region=${REGION}`] } });
  const states = await Promise.all(listed.map(async (container) => {
    const { State, RestartCount } = await docker.getContainer(container.Id).inspect();
    return [container.Id, `${State.Status} since ${State.StartedAt}, ${RestartCount} restarts`] as const;
  }));
  return new Map(states);
}
