import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { docker, dockerExec, dockerSuiteSkip, eventually, IMAGES, projectContainers, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-pods';
const PROJECT = 'pods';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();

// busybox httpd serving the image's root: GET /VERSION answers the image's version.
const httpd = (port: number, name = 'httpd') => ({ name, image: IMAGES.app1, command: ['httpd'], args: ['-f', '-p', String(port), '-h', '/'] });
const sleeper = (name: string) => ({ name, image: IMAGES.app1, command: ['sleep'], args: ['infinity'] });

describe('Docker runtime: pods, network, drift, images', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);

  const running = (name: string, count: number) =>
    wharf().waitForService(paths.service('shop', name), (s) => s.status.phase === 'running' && s.pods.length === count, 30_000);

  it('runs 2 replicas whose containers carry the labels, limits, env and command asked', async () => {
    const created = await wharf().request('POST', paths.apps, {
      name: 'shop',
      microservices: [
        {
          name: 'web',
          type: 'stateless',
          resourceSpec: '1U2G',
          instanceNumber: 2,
          ports: [{ port: 80, protocol: 'TCP' }],
          containers: [{ ...httpd(80), workingDir: '/www', envs: [{ name: 'GREETING', value: 'hello world' }] }],
        },
      ],
    });
    assert.equal(created.status, 201);
    const service = await running('web', 2);
    const { rollout, ...counts } = service.status;
    assert.deepEqual(counts, { phase: 'running', desire: 2, current: 2, updated: 2, available: 2, unavailable: 0 });
    assert.equal(rollout.state, 'complete');

    const listed = await docker.listContainers({ filters: { label: [`io.wharf.project=${PROJECT}`, 'io.wharf.service=web'] } });
    assert.equal(listed.length, 4, 'two sandboxes and two httpd containers run');
    for (const pod of service.pods) {
      const [{ startedAt, ...status }] = pod.containerStatuses;
      assert.deepEqual([status], [{ name: 'httpd', state: 'running', reason: '', message: '', ready: true, restartCount: 0 }]);
      assert.ok(Date.parse(startedAt) > Date.parse(pod.creationTime) - 1000, `startedAt ${startedAt}, created ${pod.creationTime}`);
      const [info] = listed.filter((c) => c.Labels['io.wharf.pod'] === pod.name && c.Labels['io.wharf.role'] === 'container');
      const inspected = await docker.getContainer(info!.Id).inspect();
      const labels = inspected.Config.Labels;
      for (const [label, value] of Object.entries({ project: PROJECT, app: 'shop', service: 'web', revision: '1', pod: pod.name, region: REGION })) {
        assert.equal(labels[`io.wharf.${label}`], value, `label io.wharf.${label}`);
      }
      assert.match(labels['io.wharf.template-hash']!, /^[a-z0-9]{10}$/);
      assert.match(labels['io.wharf.service-uid']!, /^[0-9a-f-]{36}$/);
      assert.equal(inspected.HostConfig.NanoCpus, 1e9);
      assert.equal(inspected.HostConfig.Memory, 2048 * 1024 * 1024);
      assert.ok(inspected.Config.Env.includes('GREETING=hello world'), 'inspected.Config.Env.includes(\'GREETING=hello world\')');
      assert.deepEqual(inspected.Config.Entrypoint, ['httpd']);
      assert.deepEqual(inspected.Config.Cmd, ['-f', '-p', '80', '-h', '/']);
      assert.equal(inspected.Config.WorkingDir, '/www');
      assert.equal(inspected.HostConfig.RestartPolicy?.Name, 'always');
      assert.equal(inspected.HostConfig.Privileged, false);
      assert.match(inspected.HostConfig.NetworkMode ?? '', /^container:[0-9a-f]{64}$/);

      // Published on a random host port, reported with the pod: reachable from the host.
      const [published] = pod.hostPorts;
      assert.equal(published.port, 80);
      const answer = await fetch(`http://127.0.0.1:${published.hostPort}/VERSION`);
      assert.equal((await answer.text()).trim(), '1');
    }
  });

  it('reaches another service by <service>.<app> and a pod container over localhost', async () => {
    const created = await wharf().request('POST', paths.services('shop'), {
      name: 'client',
      type: 'stateless',
      resourceSpec: '1U1G',
      containers: [sleeper('main'), httpd(8081, 'side')],
    });
    assert.equal(created.status, 201);
    const [pod] = (await running('client', 1)).pods;
    const main = `wharf_${REGION}_${PROJECT}_${pod.name}_main`;
    const shell = (script: string) => eventually(script, async () => {
      try {
        return dockerExec(main, ['sh', '-c', script]).trim();
      } catch {
        return undefined;
      }
    }, 10_000);
    // HTTP by hand over busybox nc: busybox-static's wget crashes resolving in a libc-less image.
    const get = (host: string, port: number) => shell(`printf 'GET /VERSION HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} ${port} | tail -1`);
    assert.equal(await get('web.shop', 80), '1');
    assert.equal(await get('shop-web', 80), '1');
    assert.equal(await get('localhost', 8081), '1');
  });

  it('replaces a container removed with docker rm -f', async () => {
    const before = await running('web', 2);
    const victim = before.pods[0].name;
    await docker.getContainer(`wharf_${REGION}_${PROJECT}_${victim}_httpd`).remove({ force: true });
    const repaired = await wharf().waitForService(
      paths.service('shop', 'web'),
      (s) => s.status.phase === 'running' && s.pods.length === 2 && !s.pods.some((pod: any) => pod.name === victim),
      30_000,
    );
    assert.equal(repaired.status.available, 2);
    const left = (await projectContainers(REGION, PROJECT)).filter((c) => c.Labels['io.wharf.pod'] === victim);
    assert.deepEqual(left, [], 'nothing of the broken pod is left');
  });

  it('leaves a pod pending with the pull failure when its image cannot be pulled, the API healthy', async () => {
    const image = 'wharf-e2e/missing:1';
    const created = await wharf().request('POST', paths.services('shop'), {
      name: 'ghost',
      type: 'stateless',
      resourceSpec: '1U1G',
      containers: [{ name: 'main', image }],
    });
    assert.equal(created.status, 201);
    const service = await wharf().waitForService(
      paths.service('shop', 'ghost'),
      (s) => /^(ErrImagePull|ImagePullBackOff)$/.test(s.pods[0]?.status.reason ?? ''),
      20_000,
    );
    const [pod] = service.pods;
    assert.equal(pod.status.phase, 'pending');
    assert.equal(service.status.phase, 'pending');
    assert.ok(pod.status.message.includes(image), `the message names the image: ${pod.status.message}`);
    assert.equal(pod.containerStatuses[0].state, 'waiting');
    assert.equal((await wharf().request('GET', '/healthz')).status, 200);
    assert.equal((await wharf().request('GET', paths.service('shop', 'web'))).body.status.phase, 'running');

    assert.equal((await wharf().request('DELETE', paths.service('shop', 'ghost'))).status, 204);
    await eventually('the pending pod to be gone', async () => {
      const left = (await projectContainers(REGION, PROJECT)).filter((c) => c.Labels['io.wharf.service'] === 'ghost');
      return left.length === 0 ? true : undefined;
    });
  });

  it('keeps a pod that reads a missing ConfigMap waiting with ConfigMapNotFound, starting no container', async () => {
    const created = await wharf().request('POST', paths.services('shop'), {
      name: 'configured',
      type: 'stateless',
      resourceSpec: '1U1G',
      containers: [{ ...sleeper('main'), envs: [{ type: 'configMap', name: 'MODE', value: 'settings.mode' }] }],
    });
    assert.equal(created.status, 201);
    const service = await wharf().waitForService(paths.service('shop', 'configured'), (s) => s.pods[0]?.status.reason === 'ConfigMapNotFound', 20_000);
    assert.equal(service.status.phase, 'pending');
    assert.match(service.pods[0].status.message, /ConfigMap "settings"/);
    const started = (await projectContainers(REGION, PROJECT)).filter((c) => c.Labels['io.wharf.service'] === 'configured' && c.Labels['io.wharf.role'] === 'container');
    assert.deepEqual(started, []);
    assert.equal((await wharf().request('DELETE', paths.service('shop', 'configured'))).status, 204);
  });
});
