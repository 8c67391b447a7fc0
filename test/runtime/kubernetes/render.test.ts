import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import type { ServiceCreate } from '../../../src/model/service.js';
import { renderCommand } from '../../../src/cli/render.js';
import { defaultStorageTypes, loadConfig, type ContainerSecurity, type RegionSettings } from '../../../src/config.js';
import { withPodTemplateHash } from '../../../src/domain/configmaps.js';
import type { ConfigMapContent } from '../../../src/domain/pod-inputs.js';
import type { VolumeSpec } from '../../../src/domain/volumes.js';
import { podResources } from '../../../src/domain/resources.js';
import { createService } from '../../../src/domain/service.js';
import type { RegionPolicy } from '../../../src/domain/validation.js';
import { workloadOf } from '../../../src/domain/workload-plan.js';
import { regionPolicy } from '../../../src/regions.js';
import type { ProjectQuota } from '../../../src/runtime/kubernetes/quota.js';
import { ANNOTATIONS, keyOfObject, LABELS, serviceSelector } from '../../../src/runtime/kubernetes/labels.js';
import { manifestList, render, type Manifests } from '../../../src/runtime/kubernetes/render.js';
import { BASELINE_CAPABILITIES } from '../../../src/domain/security.js';
import { kubernetesSettings } from '../../../src/runtime/kubernetes/settings.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);
const REGION = loadConfig({}).regions[0]!;
const POLICY = regionPolicy(REGION, 'kubernetes');

function fixture(name: string): ServiceCreate {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as ServiceCreate;
}

function renderService(
  input: ServiceCreate,
  options: {
    project?: string;
    app?: string;
    settings?: RegionSettings['kubernetes'];
    security?: Partial<ContainerSecurity>;
    stopped?: boolean;
    configMaps?: Map<string, ConfigMapContent>;
    volumes?: Map<string, VolumeSpec>;
    storageTypes?: RegionSettings['storageTypes'];
    quota?: ProjectQuota;
    policy?: RegionPolicy;
    defaultVolumeSizeGi?: number;
  } = {},
): Manifests {
  const key = { region: 'r1', project: options.project ?? 'project', app: options.app ?? 'app0', service: input.name };
  const policy = options.policy ?? POLICY;
  const { state } = createService(key, input, policy, { uid: '3f1c2a4e-8d1b-4c55-9a57-0f6f2b1de001', now: '2026-01-01T00:00:00Z' });
  const kubernetes = options.settings ?? {};
  const storageTypes = options.storageTypes ?? defaultStorageTypes({ runtime: 'kubernetes', kubernetes });
  const settings = kubernetesSettings({ kubernetes, security: { ...REGION.security, ...options.security }, storageTypes, defaultVolumeSizeGi: options.defaultVolumeSizeGi ?? 10 });
  const inputs = { configMaps: options.configMaps ?? new Map(), volumes: options.volumes ?? new Map(), projectQuota: {} };
  const workload = workloadOf(withPodTemplateHash({ ...state, stopped: options.stopped ?? false }, new Map()), podResources(policy, state), inputs);
  return render(workload, settings, { quota: options.quota });
}

// --- validation: Kubernetes' OpenAPI schemas, plus the name rules the schemas do not carry ---

const MODELS: Record<string, (object: object) => { validate(): void }> = {
  Namespace: (object) => new Namespace(object as never),
  ConfigMap: (object) => new ConfigMap(object as never),
  PersistentVolumeClaim: (object) => new PersistentVolumeClaim(object as never),
  Deployment: (object) => new Deployment(object as never),
  StatefulSet: (object) => new StatefulSet(object as never),
  Service: (object) => new Service(object as never),
  ResourceQuota: (object) => new ResourceQuota(object as never),
};

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9.-]{1,253}\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PORT_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function checkLabel(value: string, rule: RegExp, max: number, what: string): void {
  assert.ok(value.length <= max && rule.test(value), `${what} "${value}" is not valid (${rule}, ≤ ${max})`);
}

function checkLabels(labels: Record<string, string> | undefined, what: string): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    assert.ok(QUALIFIED_NAME.test(key), `${what}: label key ${key}`);
    checkLabel(value, LABEL_VALUE, 63, `${what}: label ${key}`);
  }
}

/** What the API server would reject: the schema, and the name rules of apimachinery's validation. */
function validate(object: KubernetesObject): void {
  const model = MODELS[object.kind!];
  assert.ok(model, `no validator for ${object.kind}`);
  assert.doesNotThrow(() => model(object).validate(), `${object.kind} ${object.metadata?.name}`);
  const name = object.metadata!.name!;
  const where = `${object.kind} ${name}`;
  if (object.kind === 'Service' || object.kind === 'Namespace') checkLabel(name, DNS_1035_LABEL, 63, where);
  else if (object.kind === 'PersistentVolumeClaim') checkLabel(name, DNS_SUBDOMAIN, 253, where);
  else checkLabel(name, DNS_LABEL, 63, where);
  if (object.metadata!.namespace) checkLabel(object.metadata!.namespace, DNS_LABEL, 63, `${where}: namespace`);
  checkLabels(object.metadata!.labels, where);

  const spec = (object as { spec?: any }).spec;
  if (object.kind === 'StatefulSet') {
    // Its pods get `controller-revision-hash: <name>-<10 characters>`, a label value.
    checkLabel(`${name}-abcdefghij`, LABEL_VALUE, 63, `${where}: controller-revision-hash`);
  }
  if (spec?.template) {
    checkLabels(spec.template.metadata.labels, `${where} pod template`);
    for (const label of Object.keys(spec.selector.matchLabels)) {
      assert.equal(spec.template.metadata.labels[label], spec.selector.matchLabels[label], `${where}: the selector selects the template`);
    }
    for (const container of spec.template.spec.containers) {
      checkLabel(container.name, DNS_LABEL, 63, `${where}: container`);
      for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
        if (container[kind]) checkProbe(container[kind], kind, `${where}: container ${container.name}: ${kind}`);
      }
    }
    for (const volume of spec.template.spec.volumes ?? []) checkLabel(volume.name, DNS_LABEL, 63, `${where}: volume`);
  }
  if (object.kind === 'Service') {
    for (const port of spec.ports) checkLabel(port.name, PORT_NAME, 15, `${where}: port name`);
    assert.equal(new Set(spec.ports.map((port: { name: string }) => port.name)).size, spec.ports.length, `${where}: unique port names`);
  }
}

/** apimachinery's probe rules (core/validation ValidateProbe), which the OpenAPI schema does not carry. */
function checkProbe(probe: any, kind: string, where: string): void {
  const handlers = ['httpGet', 'tcpSocket', 'exec', 'grpc'].filter((handler) => probe[handler] !== undefined);
  assert.equal(handlers.length, 1, `${where}: exactly one handler, not [${handlers.join(', ')}]`);
  const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
  if (port !== undefined) assert.ok(Number.isInteger(port) && port >= 1 && port <= 65535, `${where}: port ${port}`);
  if (probe.exec) assert.ok(probe.exec.command.length > 0, `${where}: an exec probe needs a command`);
  for (const field of ['periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold']) {
    assert.ok(probe[field] === undefined || probe[field] >= 1, `${where}: ${field} ${probe[field]} must be at least 1`);
  }
  assert.ok(!(probe.initialDelaySeconds < 0), `${where}: initialDelaySeconds must not be negative`);
  if (kind !== 'readinessProbe') assert.ok(probe.successThreshold === undefined || probe.successThreshold === 1, `${where}: successThreshold must be 1`);
}

function validateAll(manifests: Manifests): void {
  for (const object of manifestList(manifests)) validate(object);
}

test('the validation fails on what an API server rejects', () => {
  const { workload, service } = renderService(fixture('stateless.json'));
  const broken = (object: KubernetesObject, change: (copy: any) => void): KubernetesObject => {
    const copy = structuredClone(object);
    change(copy);
    return copy;
  };
  assert.throws(() => validate(broken(service!, (copy) => (copy.spec.ports[0].port = '80'))), /must be integer/);
  assert.throws(() => validate(broken(workload, (copy) => delete copy.spec.selector)), /selector/);
  assert.throws(() => validate(broken(workload, (copy) => (copy.metadata.name = 'A_b'))), /"A_b" is not valid/);
  assert.throws(() => validate(broken(service!, (copy) => (copy.spec.ports[0].name = 'a-very-long-port-name'))), /port name/);
  assert.throws(() => validate(broken(workload, (copy) => (copy.spec.template.metadata.labels['wharf.io/app'] = 'other'))), /selects the template/);
  const probed = renderService({ ...fixture('stateless.json'), containers: [{ image: 'nginx', readinessProbe: { tcpSocket: { port: 80 } }, livenessProbe: { exec: { command: ['true'] } } }] }).workload;
  assert.throws(() => validate(broken(probed, (copy) => (copy.spec.template.spec.containers[0].readinessProbe.periodSeconds = '10'))), /must be integer/);
  assert.throws(() => validate(broken(probed, (copy) => (copy.spec.template.spec.containers[0].readinessProbe.httpGet = { port: 80 }))), /exactly one handler/);
  assert.throws(() => validate(broken(probed, (copy) => (copy.spec.template.spec.containers[0].livenessProbe.successThreshold = 2))), /successThreshold must be 1/);
  const { quota } = renderService(fixture('stateless.json'), { quota: { limits: { memory: 1024 }, surge: [] } });
  assert.throws(() => validate(broken(quota!, (copy) => (copy.spec.hard['limits.memory'] = '1 GB'))), /limits.memory must match format "quantity"/);
});

describe("the seed's examples", () => {
  test('the ConfigMaps the pods read are rendered from the store into the namespace, before the workload; valid', () => {
    const manifests = renderService(fixture('stateful.json'), { configMaps: new Map([['cm', { data: { key1: 'value1' }, digest: 'd1' }]]) });
    validateAll(manifests);
    assert.deepEqual(manifestList(manifests).map((object) => object.kind).slice(0, 3), ['Namespace', 'ConfigMap', 'PersistentVolumeClaim']);
    assert.deepEqual(manifests.configMaps, [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', namespace: 'wharf-project', labels: { 'app.kubernetes.io/managed-by': 'wharf', 'wharf.io/project': 'project' } },
        data: { key1: 'value1' },
      },
    ]);
  });

  test('stateful: a StatefulSet of 1 with its volume claim, configMap volume and configMapKeyRef env; valid', () => {
    const manifests = renderService(fixture('stateful.json'));
    validateAll(manifests);
    assert.deepEqual(manifestList(manifests).map((object) => `${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name}`), [
      'Namespace /wharf-project',
      'PersistentVolumeClaim wharf-project/ceph-name',
      'StatefulSet wharf-project/app0-service0',
      'Service wharf-project/app0-service0',
    ]);
    const statefulSet = manifests.workload as any;
    assert.equal(statefulSet.spec.replicas, 1);
    assert.equal(statefulSet.spec.serviceName, 'app0-service0');
    const pod = statefulSet.spec.template.spec;
    const container = pod.containers[0];
    assert.deepEqual(container.env, [
      { name: 'ENV1', valueFrom: { configMapKeyRef: { name: 'cm', key: 'key1' } } },
      { name: 'ENV2', value: 'test' },
    ]);
    assert.deepEqual(pod.volumes, [
      { name: 'volume-0', persistentVolumeClaim: { claimName: 'ceph-name' } },
      { name: 'config-0', configMap: { name: 'cm' } },
    ]);
    assert.deepEqual(container.volumeMounts, [
      { name: 'volume-0', mountPath: '/mnt/test', readOnly: false },
      { name: 'config-0', mountPath: '/mnt/conf', readOnly: true },
    ]);
    assert.deepEqual(container.resources, { requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '1000m', memory: '1024Mi' } });
    assert.equal(container.workingDir, '/workingdir');
    assert.deepEqual([container.command, container.args], [['/bin/sh'], ['-c', 'echo test']]);
    assert.deepEqual(manifests.volumeClaims[0]!.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } });
  });

  test('stateless: a Deployment rolling out with maxSurge 1, maxUnavailable 0; no volume claim; valid', () => {
    const manifests = renderService(fixture('stateless.json'));
    validateAll(manifests);
    assert.deepEqual(manifests.volumeClaims, []);
    const deployment = manifests.workload as any;
    assert.equal(deployment.kind, 'Deployment');
    assert.deepEqual(deployment.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    assert.deepEqual(deployment.spec.selector, { matchLabels: { 'wharf.io/app': 'app0', 'wharf.io/service': 'service0' } });
    // The service's rollout settings (the contract's defaults here), which the engine honours itself.
    assert.deepEqual([deployment.spec.minReadySeconds, deployment.spec.progressDeadlineSeconds], [10, 600]);
  });

  test('labels, revision annotations and safe defaults on the workload and its pods', () => {
    const manifests = renderService(fixture('stateless.json'));
    const workload = manifests.workload as any;
    const labels = {
      'app.kubernetes.io/managed-by': 'wharf',
      'wharf.io/project': 'project',
      'wharf.io/app': 'app0',
      'wharf.io/service': 'service0',
      'wharf.io/service-uid': '3f1c2a4e-8d1b-4c55-9a57-0f6f2b1de001',
    };
    assert.deepEqual(workload.metadata.labels, labels);
    assert.deepEqual(workload.spec.template.metadata.labels, labels);
    assert.equal(workload.spec.template.metadata.annotations['wharf.io/revision'], '1');
    assert.match(workload.spec.template.metadata.annotations['wharf.io/template-hash'], /^[a-z0-9]{10}$/);
    assert.equal(workload.metadata.annotations['wharf.io/ports'], '80/TCP,8080/UDP');
    const pod = workload.spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.deepEqual([pod.hostNetwork, pod.hostPID, pod.hostIPC], [false, false, false]);
    assert.deepEqual(pod.securityContext, { seccompProfile: { type: 'RuntimeDefault' } });
    for (const container of pod.containers) {
      assert.deepEqual(container.securityContext, {
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: {
          drop: ['ALL'],
          add: ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'],
        },
      });
    }
    assert.equal(manifests.quota, undefined, 'no quota given: no ResourceQuota');
  });

  test('the ClusterIP Service has one named port per seed port, TCP and UDP', () => {
    const { service } = renderService(fixture('stateless.json'));
    assert.equal(service?.spec?.type, 'ClusterIP');
    assert.deepEqual(service?.spec?.ports, [
      { name: 'tcp-80', protocol: 'TCP', port: 80, targetPort: 80 },
      { name: 'udp-8080', protocol: 'UDP', port: 8080, targetPort: 8080 },
    ]);
  });
});

describe('edge cases', () => {
  const base = fixture('stateless.json');

  test('no ports: no Service (a ClusterIP Service needs one)', () => {
    const manifests = renderService({ ...base, ports: [] });
    validateAll(manifests);
    assert.equal(manifests.service, undefined);
  });

  test('a hundred ports, the same number over TCP and UDP', () => {
    const ports = Array.from({ length: 50 }, (_, i) => [
      { port: 65535 - i, protocol: 'TCP' as const },
      { port: 65535 - i, protocol: 'UDP' as const },
    ]).flat();
    const manifests = renderService({ ...base, ports });
    validateAll(manifests);
    assert.equal(manifests.service?.spec?.ports?.length, 100);
  });

  test('the longest names: project, app and service of 30 characters, stateless and stateful', () => {
    const project = `p${'x'.repeat(28)}9`;
    const app = `a${'b'.repeat(29)}`;
    const service = `s${'-t'.repeat(14)}u`;
    for (const type of ['stateless', 'stateful'] as const) {
      const manifests = renderService({ ...fixture(`${type}.json`), name: service, type }, { project, app, settings: { namespacePrefix: 'wharf-prod-eu-west-1-cluster-a-' } });
      validateAll(manifests);
      assert.equal(manifests.service?.metadata?.name, `${app}-${service}`, 'the Service keeps <app>-<service>');
      if (type === 'stateful') assert.ok(manifests.workload.metadata!.name!.length <= 52, 'a StatefulSet name leaves room for its pods\' revision label');
    }
  });

  test('each container gets the whole resource spec; volumes and ConfigMaps are declared once each', () => {
    const input: ServiceCreate = {
      ...fixture('stateful.json'),
      resourceSpec: '2U4G',
      containers: [
        { name: 'db', image: 'postgres:16', volumeMounts: [{ volumeName: 'data', mountPath: '/data', readOnly: false }], configs: [{ configMapName: 'conf', mountPath: '/etc/db' }] },
        { name: 'backup', image: 'restic:1', volumeMounts: [{ volumeName: 'data', mountPath: '/data' }], configs: [{ configMapName: 'conf', mountPath: '/etc/backup' }] },
        { name: 'metrics', image: 'exporter:1' },
      ],
    };
    const manifests = renderService(input);
    validateAll(manifests);
    assert.equal(manifests.volumeClaims.length, 1);
    const pod = (manifests.workload as any).spec.template.spec;
    assert.equal(pod.volumes.length, 2);
    assert.deepEqual(pod.containers[1].volumeMounts[0], { name: 'volume-0', mountPath: '/data', readOnly: true }, 'readOnly defaults to true');
    assert.deepEqual(pod.containers.map((container: any) => container.resources.limits), Array(3).fill({ cpu: '2000m', memory: '4096Mi' }));
  });

  test('region settings: storage class, volume size, image pull secrets, namespace prefix', () => {
    const manifests = renderService(fixture('stateful.json'), {
      settings: { namespacePrefix: 'team-', storageClass: 'ssd', imagePullSecrets: ['registry'] },
      defaultVolumeSizeGi: 50,
    });
    validateAll(manifests);
    assert.equal(manifests.namespace.metadata?.name, 'team-project');
    assert.deepEqual(manifests.volumeClaims[0]!.spec, { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } }, storageClassName: 'ssd' });
    assert.deepEqual((manifests.workload as any).spec.template.spec.imagePullSecrets, [{ name: 'registry' }]);
  });

  test('storage types: a claim names its volume\'s StorageClass; a type without one takes the region\'s, else the cluster default', () => {
    const input: ServiceCreate = {
      ...fixture('stateful.json'),
      containers: [{ image: 'pg:16', volumeMounts: ['fast', 'plain', 'unstored', 'retired'].map((volumeName) => ({ volumeName, mountPath: `/${volumeName}` })) }],
    };
    const storageTypes = [
      { type: 'ssd', desc: '', iops: '3000', fsType: 'ext4' as const, kubernetes: { storageClass: 'fast-ssd' } },
      { type: 'hdd', desc: '', iops: '', fsType: 'ext4' as const },
    ];
    const volumes = new Map<string, VolumeSpec>([
      ['fast', { project: 'project', name: 'fast', sizeGi: 5, storageType: 'ssd' }],
      ['plain', { project: 'project', name: 'plain', sizeGi: 6, storageType: 'hdd' }],
      ['retired', { project: 'project', name: 'retired', sizeGi: 7, storageType: 'gone' }],
    ]);
    const classes = (manifests: Manifests) => Object.fromEntries(manifests.volumeClaims.map((claim) => [claim.metadata!.name, claim.spec!.storageClassName ?? '(cluster default)']));

    const withRegionClass = renderService(input, { storageTypes, volumes, settings: { storageClass: 'standard' } });
    validateAll(withRegionClass);
    assert.deepEqual(classes(withRegionClass), { fast: 'fast-ssd', plain: 'standard', unstored: 'fast-ssd', retired: 'standard' }, 'a volume the store lacks is of the first type');
    assert.deepEqual(withRegionClass.volumeClaims.map((claim) => claim.spec!.resources!.requests!.storage), ['5Gi', '6Gi', '10Gi', '7Gi']);
    assert.deepEqual(classes(renderService(input, { storageTypes, volumes })), { fast: 'fast-ssd', plain: '(cluster default)', unstored: 'fast-ssd', retired: '(cluster default)' });
  });

  test('the default storage type is named after the region\'s StorageClass, or "default" for the cluster\'s', () => {
    assert.deepEqual(defaultStorageTypes({ runtime: 'kubernetes', kubernetes: { storageClass: 'standard' } }).map((type) => type.type), ['standard']);
    assert.deepEqual(defaultStorageTypes({ runtime: 'kubernetes', kubernetes: {} }).map((type) => type.type), ['default']);
    const claim = renderService(fixture('stateful.json'), { settings: { storageClass: 'standard' }, volumes: new Map([['ceph-name', { project: 'project', name: 'ceph-name', sizeGi: 3, storageType: 'standard' }]]) }).volumeClaims[0]!;
    assert.equal(claim.spec!.storageClassName, 'standard');
  });

  test('a stopped service renders 0 replicas', () => {
    const manifests = renderService(base, { stopped: true });
    validateAll(manifests);
    assert.equal((manifests.workload as any).spec.replicas, 0);
  });
});

describe('probes', () => {
  const probes = {
    readinessProbe: { httpGet: { path: '/healthz', port: 8080, scheme: 'HTTPS' as const, httpHeaders: [{ name: 'X-Probe', value: 'wharf' }] }, periodSeconds: 5, successThreshold: 2 },
    livenessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 15, timeoutSeconds: 3, failureThreshold: 6 },
    startupProbe: { exec: { command: ['cat', '/tmp/started'] }, periodSeconds: 2, failureThreshold: 30 },
  };

  test("each probe is rendered field for field, with Kubernetes' defaults written out, on a Deployment and a StatefulSet; valid", () => {
    for (const type of ['stateless', 'stateful'] as const) {
      const input: ServiceCreate = { ...fixture(`${type}.json`), containers: [{ ...fixture(`${type}.json`).containers[0]!, ...probes }, { name: 'sidecar', image: 'busybox' }] };
      const manifests = renderService(input);
      validateAll(manifests);
      const [main, sidecar] = (manifests.workload as any).spec.template.spec.containers;
      assert.deepEqual(main.readinessProbe, {
        httpGet: { path: '/healthz', port: 8080, scheme: 'HTTPS', httpHeaders: [{ name: 'X-Probe', value: 'wharf' }] },
        initialDelaySeconds: 0,
        periodSeconds: 5,
        timeoutSeconds: 1,
        successThreshold: 2,
        failureThreshold: 3,
      }, type);
      assert.deepEqual(main.livenessProbe, { tcpSocket: { port: 80 }, initialDelaySeconds: 15, periodSeconds: 10, timeoutSeconds: 3, successThreshold: 1, failureThreshold: 6 }, type);
      assert.deepEqual(main.startupProbe, { exec: { command: ['cat', '/tmp/started'] }, initialDelaySeconds: 0, periodSeconds: 2, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 30 }, type);
      assert.deepEqual(['readinessProbe', 'livenessProbe', 'startupProbe'].filter((kind) => kind in sidecar), [], `${type}: a container without probes gets none`);
    }
  });

  test("an httpGet probe's defaults: path /, scheme HTTP, no headers field", () => {
    const manifests = renderService({ ...fixture('stateless.json'), containers: [{ image: 'nginx', readinessProbe: { httpGet: { port: 80 } } }] });
    validateAll(manifests);
    assert.deepEqual((manifests.workload as any).spec.template.spec.containers[0].readinessProbe.httpGet, { path: '/', port: 80, scheme: 'HTTP' });
  });

  test('a probe changes the template: the workload is rendered with another template hash', () => {
    const hashOf = (manifests: Manifests) => (manifests.workload as any).spec.template.metadata.annotations['wharf.io/template-hash'];
    const plain = renderService(fixture('stateless.json'));
    const probed = renderService({ ...fixture('stateless.json'), containers: [{ ...fixture('stateless.json').containers[0]!, readinessProbe: { tcpSocket: { port: 80 } } }] });
    assert.notEqual(hashOf(probed), hashOf(plain));
  });
});

describe('GPUs and service ports', () => {
  const base = fixture('stateless.json');
  const GPU_POLICY: RegionPolicy = {
    ...POLICY,
    gpus: [
      { type: 'nvidia-t4', docker: { driver: 'nvidia', capabilities: ['gpu'] }, kubernetes: { resource: 'nvidia.com/gpu', nodeSelector: {} } },
      {
        type: 'amd-mi300',
        docker: { driver: 'amd', capabilities: ['gpu'] },
        kubernetes: { resource: 'amd.com/gpu', nodeSelector: { 'node.kubernetes.io/gpu-model': 'mi300x' } },
      },
    ],
  };

  test("each container's requests and limits carry the GPU type's resource; valid", () => {
    const input: ServiceCreate = { ...base, containers: [{ name: 'train', image: 'trainer:1' }, { name: 'sidecar', image: 'exporter:1' }], gpuSpec: { type: 'nvidia-t4', number: 2 } };
    const manifests = renderService(input, { policy: GPU_POLICY });
    validateAll(manifests);
    const pod = (manifests.workload as any).spec.template.spec;
    const resources = { cpu: '1000m', memory: '1024Mi', 'nvidia.com/gpu': '2' };
    assert.deepEqual(pod.containers.map((container: any) => container.resources), Array(2).fill({ requests: resources, limits: resources }));
    assert.equal(pod.nodeSelector, undefined, 'a type without a node selector runs wherever the device plugin offers the resource');
  });

  test("a GPU type's node selector picks its nodes; no GPU: no GPU resource; valid", () => {
    const amd = renderService({ ...base, gpuSpec: { type: 'amd-mi300', number: 8 } }, { policy: GPU_POLICY });
    validateAll(amd);
    const pod = (amd.workload as any).spec.template.spec;
    assert.equal(pod.containers[0].resources.limits['amd.com/gpu'], '8');
    assert.deepEqual(pod.nodeSelector, { 'node.kubernetes.io/gpu-model': 'mi300x' });
    const none = (renderService(base, { policy: GPU_POLICY }).workload as any).spec.template.spec;
    assert.deepEqual(none.containers[0].resources.limits, { cpu: '1000m', memory: '1024Mi' });
  });

  test('a servicePort is the Service port, the pod port its targetPort; valid', () => {
    const ports = [{ port: 8080, protocol: 'TCP' as const, servicePort: 80 }, { port: 53, protocol: 'UDP' as const }];
    const manifests = renderService({ ...base, ports });
    validateAll(manifests);
    assert.deepEqual(manifests.service?.spec?.ports, [
      { name: 'tcp-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
      { name: 'udp-53', protocol: 'UDP', port: 53, targetPort: 53 },
    ]);
    assert.equal(manifests.workload.metadata?.annotations?.[ANNOTATIONS.ports], '80:8080/TCP,53/UDP', 'a servicePort change is a change the driver sees');
  });
});

describe('container security from the region', () => {
  const containers = (manifests: Manifests): any[] => (manifests.workload as any).spec.template.spec.containers;

  test('runAsNonRoot and readOnlyRootFilesystem are set when the region asks; valid', () => {
    const manifests = renderService(fixture('stateful.json'), { security: { runAsNonRoot: true, readOnlyRootFilesystem: true } });
    validateAll(manifests);
    assert.deepEqual(containers(manifests)[0].securityContext, {
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ['ALL'], add: BASELINE_CAPABILITIES },
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
    });
    const only = renderService(fixture('stateless.json'), { security: { runAsNonRoot: true } });
    assert.equal(containers(only)[0].securityContext.runAsNonRoot, true);
    assert.equal(containers(only)[0].securityContext.readOnlyRootFilesystem, undefined, 'only what the region sets');
  });

  test('a read-only root filesystem gives each container its own memory-backed /tmp, unless a volume is mounted there', () => {
    const input: ServiceCreate = {
      ...fixture('stateful.json'),
      containers: [
        { name: 'db', image: 'postgres:16', volumeMounts: [{ volumeName: 'data', mountPath: '/data', readOnly: false }] },
        { name: 'scratch', image: 'busybox:1', volumeMounts: [{ volumeName: 'data', mountPath: '/tmp', readOnly: false }] },
        { name: 'metrics', image: 'exporter:1' },
      ],
    };
    const manifests = renderService(input, { security: { readOnlyRootFilesystem: true } });
    validateAll(manifests);
    const pod = (manifests.workload as any).spec.template.spec;
    assert.deepEqual(pod.volumes.filter((volume: any) => volume.emptyDir), [
      { name: 'tmp-0', emptyDir: { medium: 'Memory' } },
      { name: 'tmp-2', emptyDir: { medium: 'Memory' } },
    ]);
    assert.deepEqual(pod.containers.map((container: any) => container.volumeMounts.filter((mount: any) => mount.mountPath === '/tmp')), [
      [{ name: 'tmp-0', mountPath: '/tmp' }],
      [{ name: 'volume-0', mountPath: '/tmp', readOnly: false }],
      [{ name: 'tmp-2', mountPath: '/tmp' }],
    ]);
    assert.equal(renderService(input).workload.spec!.template.spec!.volumes!.length, 1, 'a writable root filesystem needs no /tmp volume');
  });
});

describe('the project ResourceQuota', () => {
  const quota = (manifests: Manifests) => manifests.quota;

  test('every limit: pods, CPU and memory as requests and limits, with room for each Deployment, this one too, to surge one pod; valid', () => {
    const manifests = renderService(fixture('stateless.json'), {
      quota: { limits: { services: 5, pods: 10, containers: 20, cpu: 8, memory: 8192 }, surge: [{ cpu: 1, memoryMb: 1024 }, { cpu: 0.5, memoryMb: 512 }] },
    });
    validateAll(manifests);
    assert.deepEqual(quota(manifests), {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: { name: 'wharf-quota', namespace: 'wharf-project', labels: { 'app.kubernetes.io/managed-by': 'wharf', 'wharf.io/project': 'project' } },
      // This Deployment's pod: one container of 1U1G.
      spec: { hard: { pods: '13', 'requests.cpu': '10500m', 'limits.cpu': '10500m', 'requests.memory': '10752Mi', 'limits.memory': '10752Mi' } },
    });
    assert.deepEqual(manifestList(manifests).map((object) => object.kind).slice(0, 2), ['Namespace', 'ResourceQuota'], 'before the pods it counts');
  });

  test('some limits: only those; whole cores stay whole', () => {
    const manifests = renderService(fixture('stateless.json'), { quota: { limits: { cpu: 4 }, surge: [{ cpu: 2, memoryMb: 2048 }] } });
    validateAll(manifests);
    assert.deepEqual(quota(manifests)?.spec?.hard, { 'requests.cpu': '7', 'limits.cpu': '7' });
    const memory = renderService(fixture('stateful.json'), { quota: { limits: { memory: 1024, pods: 2 }, surge: [] } });
    validateAll(memory);
    assert.deepEqual(quota(memory)?.spec?.hard, { pods: '2', 'requests.memory': '1024Mi', 'limits.memory': '1024Mi' }, 'a StatefulSet needs no room');
  });

  test('no limit Kubernetes counts (none, or only services and containers): no ResourceQuota', () => {
    for (const limits of [{}, { services: 3, containers: 10 }]) {
      assert.equal(quota(renderService(fixture('stateless.json'), { quota: { limits, surge: [{ cpu: 1, memoryMb: 1024 }] } })), undefined);
    }
  });
});

describe('wharf render', () => {
  test('prints the seed examples as multi-document YAML that parses back to valid objects', () => {
    for (const name of ['stateful.json', 'stateless.json']) {
      const yaml = renderCommand(['--project', 'project', '--app', 'app0', '-f', new URL(name, FIXTURES).pathname], {});
      const documents = parseAllDocuments(yaml).map((document) => document.toJS() as KubernetesObject);
      assert.equal(documents.length, name === 'stateful.json' ? 4 : 3);
      documents.forEach(validate);
      assert.doesNotMatch(yaml, /[&*]a\d/, 'no YAML anchors: manifests are for people and GitOps tools');
    }
  });

  test("takes the container security from the region's config", () => {
    const config = join(mkdtempSync(join(tmpdir(), 'wharf-render-')), 'wharf.yaml');
    writeFileSync(config, 'regions:\n  - name: k\n    runtime: kubernetes\n    security: { runAsNonRoot: true, readOnlyRootFilesystem: true }\n');
    const yaml = renderCommand(['--project', 'project', '--app', 'app0', '-f', new URL('stateless.json', FIXTURES).pathname, '--config', config], {});
    const workload = parseAllDocuments(yaml).map((document) => document.toJS()).find((object) => object.kind === 'Deployment');
    assert.equal(workload.spec.template.spec.containers[0].securityContext.runAsNonRoot, true);
    assert.equal(workload.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem, true);
  });

  test("renders a service's GPUs from the region's gpus config, NVIDIA's defaults filled in", () => {
    const config = join(mkdtempSync(join(tmpdir(), 'wharf-render-')), 'wharf.yaml');
    writeFileSync(config, 'regions:\n  - name: k\n    runtime: kubernetes\n    gpus: [{ type: nvidia-t4 }]\n');
    const service = join(mkdtempSync(join(tmpdir(), 'wharf-render-')), 'gpu.json');
    writeFileSync(service, JSON.stringify({ ...fixture('stateless.json'), gpuSpec: { type: 'nvidia-t4', number: 1 } }));
    const yaml = renderCommand(['--project', 'project', '--app', 'app0', '-f', service, '--config', config], {});
    const workload = parseAllDocuments(yaml).map((document) => document.toJS()).find((object) => object.kind === 'Deployment');
    validate(workload);
    assert.equal(workload.spec.template.spec.containers[0].resources.limits['nvidia.com/gpu'], '1');
    writeFileSync(service, JSON.stringify({ ...fixture('stateless.json'), gpuSpec: { type: 'nvidia-a100', number: 1 } }));
    assert.throws(() => renderCommand(['--project', 'project', '--app', 'app0', '-f', service, '--config', config], {}), /gpuSpec.type "nvidia-a100" is not offered in this region \(one of: nvidia-t4\)/);
  });

  test('a bad request or name is refused with the field named', () => {
    const file = new URL('stateless.json', FIXTURES).pathname;
    assert.throws(() => renderCommand(['--project', 'Bad', '--app', 'app0', '-f', file], {}), /--project "Bad"/);
    assert.throws(() => renderCommand(['--project', 'p', '--app', 'app0'], {}), /usage: wharf render/);
    assert.throws(() => renderCommand(['--project', 'p', '--app', 'app0', '-f', file, '--region', 'nowhere'], {}), /no region "nowhere"/);
  });
});

describe('a V2 service (no app)', () => {
  test('its Deployment and Service are named <service>, its app label is empty; valid', () => {
    const manifests = renderService(fixture('stateless.json'), { app: '' });
    validateAll(manifests);
    const { workload, service } = manifests;
    assert.equal(workload.metadata!.name, 'service0');
    assert.equal(service!.metadata!.name, 'service0');
    assert.deepEqual(workload.spec!.selector.matchLabels, { [LABELS.app]: '', [LABELS.service]: 'service0' });
    assert.deepEqual(service!.spec!.selector, workload.spec!.selector.matchLabels, 'the Service selects the pods');
    assert.deepEqual(keyOfObject('r1', 'wharf-', workload.metadata), { region: 'r1', project: 'project', app: '', service: 'service0' });
    assert.equal(serviceSelector({ region: 'r1', project: 'project', app: '', service: 'service0' }), 'wharf.io/app=,wharf.io/service=service0');
  });

  test('its StatefulSet is named <service> too', () => {
    const { workload } = renderService(fixture('stateful.json'), { app: '' });
    validate(workload);
    assert.equal(workload.kind, 'StatefulSet');
    assert.equal(workload.metadata!.name, 'service0');
    assert.equal((workload as any).spec.serviceName, 'service0');
  });

  test('an object without an app label is not a service\'s', () => {
    const { workload } = renderService(fixture('stateless.json'), { app: '' });
    const { [LABELS.app]: _app, ...labels } = workload.metadata!.labels!;
    assert.equal(keyOfObject('r1', 'wharf-', { ...workload.metadata, labels }), undefined);
  });
});
