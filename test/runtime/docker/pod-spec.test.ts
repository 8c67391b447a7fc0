import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Container } from '../../../src/model/container.js';
import type { ContainerSecurity } from '../../../src/config.js';
import type { PodSpec } from '../../../src/domain/plan.js';
import { V2_APP } from '../../../src/domain/keys.js';
import { keyOfLabels, LABEL } from '../../../src/runtime/docker/labels.js';
import { containerOptions, sandboxOptions, type PodSettings } from '../../../src/runtime/docker/pod-spec.js';
import { runAsNonRootViolation } from '../../../src/runtime/docker/security.js';

// Kubernetes' "baseline" Pod Security Standard: Docker's default capabilities without NET_RAW.
const BASELINE = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
const DEFAULT_SECURITY: ContainerSecurity = { pidsLimit: 1024, runAsNonRoot: false, readOnlyRootFilesystem: false };

function container(overrides: Partial<Container> = {}): Container {
  return { name: 'main', image: 'app:1', workingDir: '', command: [], args: [], volumeMounts: [], configs: [], envs: [], ...overrides };
}

function podSpec(containers: Container[] = [container()]): PodSpec {
  return {
    name: 'web-s0001',
    key: { region: 'r1', project: 'p1', app: 'shop', service: 'web' },
    serviceUid: 'uid-1',
    type: 'stateless',
    revision: 1,
    podTemplateHash: 'hash000000',
    containers,
    resources: { cpu: 1, memoryMb: 512 },
    ports: [{ port: 80, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }],
    configMaps: new Map(),
    volumes: new Map(),
  };
}

function settings(overrides: { security?: Partial<ContainerSecurity>; publishAddress?: string; publishPorts?: boolean } = {}): PodSettings {
  return {
    region: 'r1',
    instanceId: 'instance-1',
    sandboxImage: 'pause:1',
    publishPorts: overrides.publishPorts ?? true,
    publishAddress: overrides.publishAddress ?? '127.0.0.1',
    security: { ...DEFAULT_SECURITY, ...overrides.security },
    stopGraceSeconds: 10,
    hostCpus: 4,
  };
}

const hostConfigOf = (spec: PodSpec, pod: PodSettings, index = 0) =>
  containerOptions(spec, spec.containers[index]!, 'sandbox-id', pod, new Map()).HostConfig!;

describe('Docker pod options: confinement', () => {
  test('a container gets the pids limit, no-new-privileges, the baseline capabilities only and no swap', () => {
    const host = hostConfigOf(podSpec(), settings());
    assert.equal(host.PidsLimit, 1024);
    assert.deepEqual(host.SecurityOpt, ['no-new-privileges']);
    assert.deepEqual(host.CapDrop, ['ALL']);
    assert.deepEqual(host.CapAdd, BASELINE);
    assert.equal(host.Memory, 512 * 1024 * 1024);
    assert.equal(host.MemorySwap, host.Memory);
    assert.equal(host.ReadonlyRootfs, false);
    assert.equal(host.Tmpfs, undefined);
    assert.equal(host.Privileged, false);
  });

  test('the sandbox gets the pids limit and no-new-privileges, runs as nobody and keeps no capability', () => {
    const options = sandboxOptions(podSpec(), 'net', settings({ security: { pidsLimit: 64 } }));
    const host = options.HostConfig!;
    assert.equal(options.User, '65534:65534');
    assert.equal(host.PidsLimit, 64);
    assert.deepEqual(host.SecurityOpt, ['no-new-privileges']);
    assert.deepEqual(host.CapDrop, ['ALL']);
    assert.equal(host.CapAdd, undefined);
  });

  test('a read-only root filesystem leaves /tmp writable unless a volume is mounted there', () => {
    const readOnly = settings({ security: { readOnlyRootFilesystem: true } });
    const plain = hostConfigOf(podSpec(), readOnly);
    assert.equal(plain.ReadonlyRootfs, true);
    assert.deepEqual(plain.Tmpfs, { '/tmp': 'rw,nosuid,nodev' });

    const onTmp = container({ volumeMounts: [{ volumeName: 'scratch', readOnly: false, mountPath: '/tmp' }] });
    const mounted = hostConfigOf(podSpec([onTmp]), readOnly);
    assert.equal(mounted.ReadonlyRootfs, true);
    assert.equal(mounted.Tmpfs, undefined, 'the volume, not a tmpfs, is /tmp');

    assert.equal(sandboxOptions(podSpec(), 'net', readOnly).HostConfig!.ReadonlyRootfs, true);
  });
});

describe('Docker pod options: published ports', () => {
  test('every port binds on the publish address only, on a random host port', () => {
    const host = sandboxOptions(podSpec(), 'net', settings()).HostConfig!;
    assert.deepEqual(host.PortBindings, {
      '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
      '53/udp': [{ HostIp: '127.0.0.1', HostPort: '' }],
    });
    const everywhere = sandboxOptions(podSpec(), 'net', settings({ publishAddress: '0.0.0.0' })).HostConfig!;
    assert.deepEqual(everywhere.PortBindings!['80/tcp'], [{ HostIp: '0.0.0.0', HostPort: '' }]);
  });

  test('nothing is bound when ports are not published', () => {
    assert.deepEqual(sandboxOptions(podSpec(), 'net', settings({ publishPorts: false })).HostConfig!.PortBindings, {});
  });
});

describe('Docker pod options: GPUs', () => {
  const T4 = {
    type: 'nvidia-t4',
    docker: { driver: 'nvidia', capabilities: ['gpu', 'utility'] },
    kubernetes: { resource: 'nvidia.com/gpu', nodeSelector: {} },
  };
  const withGpus = (containers: Container[]): PodSpec => ({ ...podSpec(containers), resources: { cpu: 1, memoryMb: 512, gpus: { number: 2, type: T4 } } });

  test("each spec container asks for the service's number of GPUs with the type's driver and capabilities", () => {
    const spec = withGpus([container({ name: 'train' }), container({ name: 'sidecar' })]);
    for (const index of [0, 1]) {
      // Capabilities is a list of alternatives, each a list a device must all have: one alternative here.
      assert.deepEqual(hostConfigOf(spec, settings(), index).DeviceRequests, [{ Driver: 'nvidia', Count: 2, Capabilities: [['gpu', 'utility']] }]);
    }
  });

  test('the sandbox, and a pod without GPUs, asks for no device', () => {
    assert.equal(sandboxOptions(withGpus([container()]), 'net', settings()).HostConfig!.DeviceRequests, undefined);
    assert.equal(hostConfigOf(podSpec(), settings()).DeviceRequests, undefined);
  });
});

describe('runAsNonRoot', () => {
  test('refuses an image running as root, by default, by name or by UID 0', () => {
    for (const user of ['', 'root', '0', '0:0', '0:1000', 'root:root']) {
      assert.equal(runAsNonRootViolation(user), 'image will run as root', `user "${user}"`);
    }
  });

  test('refuses a user name, which the image could map to UID 0', () => {
    assert.equal(runAsNonRootViolation('app'), 'image has non-numeric user (app), cannot verify user is non-root');
    assert.equal(runAsNonRootViolation('app:1000'), 'image has non-numeric user (app), cannot verify user is non-root');
  });

  test('accepts a numeric non-zero user, whatever its group', () => {
    for (const user of ['1000', '65534:65534', '1000:0', '10']) assert.equal(runAsNonRootViolation(user), undefined, `user "${user}"`);
  });
});

describe('Docker pod options: V1 and V2 names', () => {
  const v2Spec = (): PodSpec => ({ ...podSpec(), name: 'api-s0001', key: { ...podSpec().key, app: V2_APP, service: 'api' } });
  const aliasesOf = (spec: PodSpec) => sandboxOptions(spec, 'net', settings()).NetworkingConfig!.EndpointsConfig!.net!.Aliases;

  test('a V1 pod answers to <service>.<app> and <app>-<service>, a V2 pod to <service>', () => {
    assert.deepEqual(aliasesOf(podSpec()), ['web.shop', 'shop-web']);
    assert.deepEqual(aliasesOf(v2Spec()), ['api']);
  });

  test('the labels of a pod\'s sandbox and containers give its key back, a V2 key\'s empty app too', () => {
    for (const spec of [podSpec(), v2Spec()]) {
      const sandbox = sandboxOptions(spec, 'net', settings()).Labels!;
      const container = containerOptions(spec, spec.containers[0]!, 'sandbox-id', settings(), new Map()).Labels!;
      assert.equal(sandbox[LABEL.app], spec.key.app);
      assert.deepEqual(keyOfLabels(sandbox), spec.key);
      assert.deepEqual(keyOfLabels(container), spec.key);
    }
    const { [LABEL.app]: _app, ...withoutApp } = sandboxOptions(v2Spec(), 'net', settings()).Labels!;
    assert.equal(keyOfLabels(withoutApp), undefined, 'no app label at all: not a Wharf pod');
  });
});
