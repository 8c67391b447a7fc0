import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { apiPaths } from '../../support/api.js';
import { cleanProject, docker, dockerExec, dockerSuiteSkip, eventually, IMAGES, lockDocker, projectContainers, startDockerWharf } from '../../support/docker.js';
import type { TestWharf } from '../../support/wharf.js';

const REGION = 'dkr-migration';
const PROJECT = 'legacy';
const paths = apiPaths(REGION, PROJECT);
const DB = paths.service('store', 'db');
const WEB = paths.service('store', 'web');
const LEGACY_VOLUME = `wharf-${PROJECT}-data`;
const LEGACY_NETWORK = `wharf-${PROJECT}`;
const VOLUME = `wharf_${REGION}_${PROJECT}_data`;
const NETWORK = `wharf_${REGION}_${PROJECT}`;
const skip = await dockerSuiteSkip();

const services = [
  {
    name: 'db',
    type: 'stateful',
    resourceSpec: '1U1G',
    containers: [{ name: 'app', image: IMAGES.app1, command: ['sleep'], args: ['infinity'], volumeMounts: [{ volumeName: 'data', mountPath: '/data', readOnly: false }] }],
  },
  {
    name: 'web',
    type: 'stateless',
    resourceSpec: '1U1G',
    instanceNumber: 1,
    ports: [{ port: 80, protocol: 'TCP' }],
    containers: [{ name: 'httpd', image: IMAGES.app1, command: ['httpd'], args: ['-f', '-p', '80', '-h', '/'] }],
  },
];

function withVolume(volume: string, script: string): string {
  return execFileSync('docker', ['run', '--rm', '-v', `${volume}:/v`, IMAGES.app1, 'sh', '-c', script], { encoding: 'utf8' });
}

/**
 * Replaces the region's pods with the layout of Wharf versions before region-qualified names: the
 * same names and labels without `io.wharf.instance`, on network `wharf-<project>`, mounting
 * `wharf-<project>-<volume>`. Returns the new containers' ids by name.
 */
async function recreateAsLegacy(containers: Docker.ContainerInspectInfo[]): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  const legacyLabels = (info: Docker.ContainerInspectInfo) => Object.fromEntries(Object.entries(info.Config.Labels).filter(([label]) => label !== 'io.wharf.instance'));
  const sandboxes = containers.filter((info) => info.Config.Labels['io.wharf.role'] === 'sandbox');
  for (const sandbox of sandboxes) {
    const { Labels } = sandbox.Config;
    const aliases = [`${Labels['io.wharf.service']}.${Labels['io.wharf.app']}`, `${Labels['io.wharf.app']}-${Labels['io.wharf.service']}`];
    const created = await docker.createContainer({
      name: sandbox.Name.slice(1),
      Image: IMAGES.sandbox,
      Labels: legacyLabels(sandbox),
      HostConfig: { NetworkMode: LEGACY_NETWORK, RestartPolicy: { Name: 'always' }, Init: true },
      NetworkingConfig: { EndpointsConfig: { [LEGACY_NETWORK]: { Aliases: aliases } } },
    });
    await created.start();
    ids.set(sandbox.Name.slice(1), created.id);
    for (const info of containers.filter((c) => c !== sandbox && c.Config.Labels['io.wharf.pod'] === Labels['io.wharf.pod'])) {
      const container = await docker.createContainer({
        name: info.Name.slice(1),
        Image: info.Config.Image,
        Entrypoint: info.Config.Entrypoint ?? undefined,
        Cmd: info.Config.Cmd ?? undefined,
        Labels: legacyLabels(info),
        HostConfig: {
          NetworkMode: `container:${created.id}`,
          RestartPolicy: { Name: 'always' },
          Init: true,
          Mounts: info.Mounts.map((mount) => ({ Type: 'volume' as const, Source: LEGACY_VOLUME, Target: mount.Destination })),
        },
      });
      await container.start();
      ids.set(info.Name.slice(1), container.id);
    }
  }
  return ids;
}

describe('Docker runtime: migration from the legacy layout', { skip }, () => {
  let unlock: (() => void) | undefined;
  let wharf: TestWharf | undefined;
  let dataDir: string;
  before(async () => {
    unlock = await lockDocker();
    await cleanProject(REGION, PROJECT, { volumes: true });
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-migration-'));
  });
  after(async () => {
    await wharf?.stop();
    await cleanProject(REGION, PROJECT, { volumes: true });
    rmSync(dataDir, { recursive: true, force: true });
    unlock?.();
  });
  const running = (path: string) => wharf!.waitForService(path, (s) => s.status.phase === 'running' && s.pods.length === 1, 30_000);

  it('moves a legacy volume with its data, recreates the pods that mounted it and adopts the others', async () => {
    // A store with the services, then the engine put back as a legacy Wharf left it.
    wharf = await startDockerWharf(REGION, { dataDir });
    assert.equal((await wharf.request('POST', paths.apps, { name: 'store', microservices: services })).status, 201);
    await running(DB);
    await running(WEB);
    const instance = (await docker.getVolume(`wharf_${REGION}_OWNER`).inspect()).Labels['io.wharf.instance']!;
    const current = await Promise.all((await projectContainers(REGION, PROJECT)).map((c) => docker.getContainer(c.Id).inspect()));
    await wharf.stop();
    wharf = undefined;
    await cleanProject(REGION, PROJECT, { volumes: true });

    await docker.createNetwork({ Name: LEGACY_NETWORK, Driver: 'bridge', Labels: { 'io.wharf.region': REGION, 'io.wharf.project': PROJECT } });
    await docker.createVolume({ Name: LEGACY_VOLUME, Labels: { 'io.wharf.region': REGION, 'io.wharf.project': PROJECT, 'io.wharf.volume': 'data' } });
    withVolume(LEGACY_VOLUME, 'mkdir -p /v/dir && echo legacy > /v/dir/file && chown 1234 /v/dir/file');
    // As an interrupted migration leaves it: the new volume exists, with a partial copy.
    await docker.createVolume({ Name: VOLUME, Labels: { 'io.wharf.region': REGION, 'io.wharf.project': PROJECT, 'io.wharf.volume': 'data', 'io.wharf.instance': instance } });
    withVolume(VOLUME, 'mkdir -p /v/dir && echo parti > /v/dir/file && echo left > /v/left-over');
    const legacy = await recreateAsLegacy(current);

    wharf = await startDockerWharf(REGION, { dataDir });
    await running(DB);
    const db = `wharf_${REGION}_${PROJECT}_store-db-0_app`;
    assert.equal(dockerExec(db, ['cat', '/data/dir/file']).trim(), 'legacy', 'the data was moved');
    assert.equal(dockerExec(db, ['ls', '/data']).trim(), 'dir', 'the interrupted copy was discarded');
    assert.equal(dockerExec(db, ['ls', '-n', '/data/dir/file']).split(/\s+/)[2], '1234', 'with its owner');
    const dbInfo = await docker.getContainer(db).inspect();
    assert.notEqual(dbInfo.Id, legacy.get(db), 'the legacy db pod was recreated');
    assert.deepEqual(dbInfo.Mounts.map((mount) => mount.Name), [VOLUME]);
    assert.equal(dbInfo.Config.Labels['io.wharf.instance'], instance);
    await assert.rejects(docker.getVolume(LEGACY_VOLUME).inspect(), 'the legacy volume is gone');

    await running(WEB);
    const web = current.find((info) => info.Config.Labels['io.wharf.service'] === 'web' && info.Config.Labels['io.wharf.role'] === 'sandbox')!.Name.slice(1);
    const webSandbox = await docker.getContainer(web).inspect();
    assert.equal(webSandbox.Id, legacy.get(web), 'the legacy web pod without volumes was adopted as it is');
    assert.deepEqual(Object.keys(webSandbox.NetworkSettings.Networks).sort(), [NETWORK, LEGACY_NETWORK].sort(), 'and joined the new network');
    const answer = dockerExec(db, ['sh', '-c', "printf 'GET /VERSION HTTP/1.0\\r\\n\\r\\n' | nc web.store 80"]);
    assert.match(answer, /200 OK/, 'a new pod reaches the adopted one by name');
    await docker.getNetwork(LEGACY_NETWORK).inspect(); // still used by the adopted pod

    assert.equal((await wharf.request('DELETE', WEB)).status, 204);
    await eventually('the web pod to be gone', async () => {
      const left = (await projectContainers(REGION, PROJECT)).filter((c) => c.Labels['io.wharf.service'] === 'web');
      return left.length === 0 ? true : undefined;
    });
    await wharf.stop();
    wharf = await startDockerWharf(REGION, { dataDir });
    await assert.rejects(docker.getNetwork(LEGACY_NETWORK).inspect(), 'the legacy network goes once no container uses it');
    assert.equal(dockerExec(db, ['cat', '/data/dir/file']).trim(), 'legacy', 'the moved data stays on the next start');
  });
});
