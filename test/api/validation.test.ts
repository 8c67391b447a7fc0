import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiPaths, assertInvalid, createApp, ofLength } from '../support/api.js';
import { startWharf, type TestWharf } from '../support/wharf.js';

const paths = apiPaths();
type Body = Record<string, unknown>;

interface Limit {
  /** What the limit is about, for the test name. */
  rule: string;
  /** The field a 400 must name. */
  field: string;
  /** Bodies accepted at the limit. */
  valid: Body[];
  /** Bodies refused one past it. */
  invalid: Body[];
}

let serial = 0;
const uniqueName = (): string => `svc${++serial}`;

function stateless(overrides: Body = {}): Body {
  return { name: uniqueName(), type: 'stateless', resourceSpec: '1U1G', containers: [{ image: 'nginx:1' }], ...overrides };
}

function stateful(overrides: Body = {}): Body {
  return stateless({ type: 'stateful', ...overrides });
}

function withContainer(container: Body, type: 'stateless' | 'stateful' = 'stateless'): Body {
  return stateless({ type, containers: [{ image: 'nginx:1', ...container }] });
}

const path = (length: number): string => `/${'p'.repeat(length - 1)}`;
const containers = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `c${i}`, image: 'nginx:1' }));
const ports = (count: number) => Array.from({ length: count }, (_, i) => ({ port: 1000 + i, protocol: 'TCP' }));
const envs = (count: number) => Array.from({ length: count }, (_, i) => ({ name: `E${i}`, value: 'v' }));

const SERVICE_LIMITS: Limit[] = [
  { rule: 'service name is at most 30 characters', field: 'name', valid: [stateless({ name: ofLength(30) })], invalid: [stateless({ name: ofLength(31) })] },
  {
    rule: 'service name is a DNS label',
    field: 'name',
    valid: [stateless({ name: 'my-svc-2' }), stateless({ name: 'a' })],
    invalid: [stateless({ name: 'svc-' }), stateless({ name: 'Svc' }), stateless({ name: '1svc' }), stateless({ name: 'my_svc' }), stateless({ name: '' })],
  },
  {
    rule: 'container name is at most 32 characters',
    field: 'containers[0].name',
    valid: [withContainer({ name: ofLength(32) })],
    invalid: [withContainer({ name: ofLength(33) }), withContainer({ name: 'Main' }), withContainer({ name: 'main-' })],
  },
  {
    rule: 'container names are unique in the service',
    field: 'containers[1].name',
    valid: [stateless({ containers: [{ name: 'a', image: 'x' }, { name: 'b', image: 'x' }] })],
    invalid: [
      stateless({ containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'x' }] }),
      stateless({ containers: [{ image: 'x' }, { name: 'container-0', image: 'x' }] }),
    ],
  },
  { rule: 'image is at most 1024 characters', field: 'containers[0].image', valid: [withContainer({ image: ofLength(1024) })], invalid: [withContainer({ image: ofLength(1025) }), withContainer({ image: '' })] },
  {
    rule: 'workingDir is at most 1024 characters, absolute, without ..',
    field: 'containers[0].workingDir',
    valid: [withContainer({ workingDir: path(1024) }), withContainer({ workingDir: '' })],
    invalid: [withContainer({ workingDir: path(1025) }), withContainer({ workingDir: 'relative' }), withContainer({ workingDir: '/a/../b' })],
  },
  {
    rule: 'volumeName is at most 64 characters',
    field: 'containers[0].volumeMounts[0].volumeName',
    valid: [withContainer({ volumeMounts: [{ volumeName: ofLength(64), mountPath: '/data' }] }, 'stateful')],
    invalid: [withContainer({ volumeMounts: [{ volumeName: ofLength(65), mountPath: '/data' }] }, 'stateful')],
  },
  {
    rule: 'volume mountPath is at most 1024 characters, absolute, without ..',
    field: 'containers[0].volumeMounts[0].mountPath',
    valid: [withContainer({ volumeMounts: [{ volumeName: 'v', mountPath: path(1024) }] }, 'stateful')],
    invalid: [
      withContainer({ volumeMounts: [{ volumeName: 'v', mountPath: path(1025) }] }, 'stateful'),
      withContainer({ volumeMounts: [{ volumeName: 'v', mountPath: 'data' }] }, 'stateful'),
      withContainer({ volumeMounts: [{ volumeName: 'v', mountPath: '/data/../etc' }] }, 'stateful'),
    ],
  },
  {
    rule: 'configMapName is at most 64 characters',
    field: 'containers[0].configs[0].configMapName',
    valid: [withContainer({ configs: [{ configMapName: ofLength(64), mountPath: '/conf' }] })],
    invalid: [withContainer({ configs: [{ configMapName: ofLength(65), mountPath: '/conf' }] })],
  },
  {
    rule: 'config mountPath is at most 1024 characters, absolute, without ..',
    field: 'containers[0].configs[0].mountPath',
    valid: [withContainer({ configs: [{ configMapName: 'cm', mountPath: path(1024) }] })],
    invalid: [
      withContainer({ configs: [{ configMapName: 'cm', mountPath: path(1025) }] }),
      withContainer({ configs: [{ configMapName: 'cm', mountPath: 'conf' }] }),
      withContainer({ configs: [{ configMapName: 'cm', mountPath: '/../conf' }] }),
    ],
  },
  {
    rule: 'env name is at most 1024 characters',
    field: 'containers[0].envs[0].name',
    valid: [withContainer({ envs: [{ name: ofLength(1024, 'E', 'x'), value: 'v' }] })],
    invalid: [withContainer({ envs: [{ name: ofLength(1025, 'E', 'x'), value: 'v' }] }), withContainer({ envs: [{ name: '', value: 'v' }] })],
  },
  {
    rule: 'env value is at most 1024 characters',
    field: 'containers[0].envs[0].value',
    valid: [withContainer({ envs: [{ name: 'E', value: ofLength(1024) }] }), withContainer({ envs: [{ name: 'E', value: '' }] })],
    invalid: [withContainer({ envs: [{ name: 'E', value: ofLength(1025) }] })],
  },
  {
    rule: 'env type is "" or configMap with <configMapName>.<key>',
    field: 'containers[0].envs[0]',
    valid: [withContainer({ envs: [{ type: '', name: 'E', value: 'v' }] }), withContainer({ envs: [{ type: 'configMap', name: 'E', value: 'cm.key' }] })],
    invalid: [withContainer({ envs: [{ type: 'secret', name: 'E', value: 'v' }] }), withContainer({ envs: [{ type: 'configMap', name: 'E', value: 'nodot' }] })],
  },
  {
    rule: 'port is 1..65535',
    field: 'ports[0].port',
    valid: [stateless({ ports: [{ port: 1, protocol: 'TCP' }] }), stateless({ ports: [{ port: 65535, protocol: 'UDP' }] })],
    invalid: [stateless({ ports: [{ port: 0, protocol: 'TCP' }] }), stateless({ ports: [{ port: 65536, protocol: 'TCP' }] }), stateless({ ports: [{ port: 80.5, protocol: 'TCP' }] })],
  },
  {
    rule: 'protocol is TCP or UDP',
    field: 'ports[0].protocol',
    valid: [stateless({ ports: [{ port: 53, protocol: 'UDP' }] })],
    invalid: [stateless({ ports: [{ port: 80, protocol: 'SCTP' }] }), stateless({ ports: [{ port: 80, protocol: 'tcp' }] })],
  },
  {
    rule: 'a (port, protocol) appears once',
    field: 'ports[1]',
    valid: [stateless({ ports: [{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'UDP' }] })],
    invalid: [stateless({ ports: [{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'TCP' }] })],
  },
  { rule: 'at most 10 containers, at least 1', field: 'containers', valid: [stateless({ containers: containers(10) })], invalid: [stateless({ containers: containers(11) }), stateless({ containers: [] })] },
  { rule: 'at most 100 ports', field: 'ports', valid: [stateless({ ports: ports(100) })], invalid: [stateless({ ports: ports(101) })] },
  { rule: 'at most 100 envs per container', field: 'containers[0].envs', valid: [withContainer({ envs: envs(100) })], invalid: [withContainer({ envs: envs(101) })] },
  {
    rule: 'a stateless service runs 1..50 instances',
    field: 'instanceNumber',
    // 0 is how Go clients send an unset number: the default, 1.
    valid: [stateless({ instanceNumber: 1 }), stateless({ instanceNumber: 50 }), stateless({ instanceNumber: 0 })],
    invalid: [stateless({ instanceNumber: -1 }), stateless({ instanceNumber: 51 }), stateless({ instanceNumber: '2' }), stateless({ instanceNumber: 1.5 })],
  },
  {
    rule: 'a stateful service runs exactly 1 instance',
    field: 'instanceNumber',
    valid: [stateful({ instanceNumber: 1 })],
    invalid: [stateful({ instanceNumber: 2 }), stateful({ instanceNumber: -1 })],
  },
  {
    rule: 'only a stateful service mounts volumes',
    field: 'containers[0].volumeMounts',
    valid: [withContainer({ volumeMounts: [{ volumeName: 'v', mountPath: '/v' }] }, 'stateful'), withContainer({ volumeMounts: [] })],
    invalid: [withContainer({ volumeMounts: [{ volumeName: 'v', mountPath: '/v' }] })],
  },
  {
    rule: 'image is a reference the engines accept',
    field: 'containers[0].image',
    valid: [withContainer({ image: 'reg.example.com:5000/team/app_x:1.2-b' }), withContainer({ image: `busybox@sha256:${'a'.repeat(64)}` }), withContainer({ image: 'library/nginx' })],
    invalid: [withContainer({ image: 'Wharf-Bars/BusyBox:1' }), withContainer({ image: 'app:' }), withContainer({ image: 'app:-1' }), withContainer({ image: 'reg.example.com:port/app' }), withContainer({ image: 'app@sha256:xyz' })],
  },
  {
    rule: 'an image from a loopback, private or link-local registry is refused unless the region lists it',
    field: 'containers[0].image',
    valid: [withContainer({ image: 'reg.qiniu.com/library/alpine:latest' }), withContainer({ image: '8.8.8.8:5000/public/app' })],
    invalid: ['127.0.0.1:28999/evil/img:1', 'localhost:5000/app', '10.1.2.3/app', '172.20.0.1:5000/app', '192.168.1.1/app', '169.254.169.254/latest', '[::1]:5000/app', '[fe80::1]/app', '[::ffff:127.0.0.1]/app', '0.0.0.0:5000/app']
      .map((image) => withContainer({ image })),
  },
  {
    rule: 'two mounts of a container never target one directory, however it is spelled',
    field: 'containers[0].configs[1].mountPath',
    valid: [withContainer({ configs: [{ configMapName: 'cm', mountPath: '/m' }, { configMapName: 'cm2', mountPath: '/m/sub' }] })],
    invalid: [
      withContainer({ configs: [{ configMapName: 'cm', mountPath: '/m' }, { configMapName: 'cm2', mountPath: '/m/' }] }),
      withContainer({ configs: [{ configMapName: 'cm', mountPath: '/m' }, { configMapName: 'cm2', mountPath: '//./m' }] }),
    ],
  },
  {
    rule: 'no string holds NUL, which no engine can pass on',
    field: 'containers[0].envs[0].value',
    valid: [withContainer({ envs: [{ name: 'E', value: 'a\\0b' }] })],
    invalid: [withContainer({ envs: [{ name: 'E', value: 'a\u0000b' }] })],
  },
  { rule: 'no argument holds NUL', field: 'containers[0].args[1]', valid: [withContainer({ args: ['-c', 'true'] })], invalid: [withContainer({ args: ['-c', 'echo \u0000'] })] },
  { rule: 'type is stateful or stateless', field: 'type', valid: [stateful()], invalid: [stateless({ type: 'batch' })] },
  { rule: 'resourceSpec is one the region offers', field: 'resourceSpec', valid: [stateless({ resourceSpec: '2U4G' })], invalid: [stateless({ resourceSpec: '4U8G' })] },
  {
    rule: 'an unknown field is refused by name',
    field: 'replicas',
    valid: [stateless({ appName: 'app0', projectName: 'proj' })],
    invalid: [stateless({ replicas: 3 })],
  },
  { rule: 'an unknown container field is refused by name', field: 'containers[0].cpu', valid: [withContainer({})], invalid: [withContainer({ cpu: 1 })] },
  { rule: 'appName must be the path\'s', field: 'appName', valid: [stateless({ appName: 'app0' })], invalid: [stateless({ appName: 'other' })] },
];

describe('validation limits at their boundary', () => {
  let wharf: TestWharf;
  const serviceNames = async (): Promise<string[]> =>
    (await wharf.request('GET', paths.services('app0'))).body.map((service: any) => service.name);
  before(async () => {
    wharf = await startWharf();
    await createApp(wharf, 'app0');
  });
  after(async () => wharf.stop());

  for (const limit of SERVICE_LIMITS) {
    it(limit.rule, async () => {
      for (const body of limit.valid) {
        const answer = await wharf.request('POST', paths.services('app0'), body);
        assert.equal(answer.status, 201, `${JSON.stringify(body).slice(0, 200)} -> ${JSON.stringify(answer.body)}`);
      }
      const before = await serviceNames();
      // Strict: an unknown field is refused too, not only named in a Warning.
      for (const body of limit.invalid) {
        assertInvalid(await wharf.request('POST', `${paths.services('app0')}?fieldValidation=Strict`, body), limit.field);
      }
      assert.deepEqual(await serviceNames(), before, 'a 400 creates nothing');
    });
  }

  it('app name is at most 30 characters of [a-z0-9], starting with a letter', async () => {
    for (const name of [ofLength(30), 'a', 'a1b2']) {
      assert.equal((await wharf.request('POST', paths.apps, { name })).status, 201, name);
    }
    for (const name of [ofLength(31), 'App', '1app', 'my-app', 'my_app', '']) {
      assertInvalid(await wharf.request('POST', paths.apps, { name }), 'name');
    }
    assertInvalid(await wharf.request('POST', `${paths.apps}?fieldValidation=Strict`, { name: 'extra', owner: 'me' }), 'owner');
    assertInvalid(await wharf.request('POST', paths.apps, {}), 'name');
  });

  it('app name in a path follows the same rule', async () => {
    assertInvalid(await wharf.request('GET', paths.app('My-App')), 'app');
    assertInvalid(await wharf.request('GET', paths.service('app0', 'Bad')), 'service');
  });

  it('project name in the path is a DNS label of at most 30 characters', async () => {
    assert.equal((await wharf.request('POST', apiPaths('local', ofLength(30)).apps, { name: 'app0' })).status, 201);
    assert.equal((await wharf.request('POST', apiPaths('local', 'team-a1').apps, { name: 'app0' })).status, 201);
    for (const project of [ofLength(31), 'Team', 'team-', '1team']) {
      assertInvalid(await wharf.request('POST', apiPaths('local', project).apps, { name: 'app0' }), 'project');
    }
  });

  it('an upgrade follows the create rules and cannot change the type', async () => {
    const service = stateless();
    assert.equal((await wharf.request('POST', paths.services('app0'), service)).status, 201);
    const upgrade = (body: Body) => wharf.request('PUT', paths.action('app0', String(service.name), 'upgrade'), body);
    assert.equal((await upgrade({ containers: [{ image: ofLength(1024) }] })).status, 200);
    assertInvalid(await upgrade({ containers: [{ image: ofLength(1025) }] }), 'containers[0].image');
    assertInvalid(await upgrade({ containers: containers(11) }), 'containers');
    assertInvalid(await wharf.request('PUT', `${paths.action('app0', String(service.name), 'upgrade')}?fieldValidation=Strict`, { type: 'stateful' }), 'type');
    assertInvalid(await upgrade({ containers: [{ image: 'x', envs: [{ name: 'E', value: ofLength(1025) }] }] }), 'containers[0].envs[0].value');
  });

  it('ports updates follow the port rules', async () => {
    const service = stateless();
    assert.equal((await wharf.request('POST', paths.services('app0'), service)).status, 201);
    const setPorts = (list: unknown) => wharf.request('PUT', paths.action('app0', String(service.name), 'ports'), { ports: list });
    assert.equal((await setPorts([{ port: 65535, protocol: 'TCP' }, { port: 1, protocol: 'UDP' }])).status, 200);
    assert.equal((await setPorts(ports(100))).status, 200);
    assertInvalid(await setPorts(ports(101)), 'ports');
    assertInvalid(await setPorts([{ port: 65536, protocol: 'TCP' }]), 'ports[0].port');
    assertInvalid(await setPorts([{ port: 0, protocol: 'TCP' }]), 'ports[0].port');
    assertInvalid(await setPorts([{ port: 80, protocol: 'ICMP' }]), 'ports[0].protocol');
  });
});
