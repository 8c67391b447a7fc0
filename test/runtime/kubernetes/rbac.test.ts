import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config.js';
import { API_CALLS } from '../../../src/runtime/kubernetes/api.js';

const DEPLOY = new URL('../../../deploy/kubernetes/', import.meta.url);
/** Read by people, never applied: `kubectl apply -k` must not create a Secret of placeholders. */
const EXAMPLE = /\.example\.yaml$/;

function manifests(file: URL): any[] {
  return parseAllDocuments(readFileSync(file, 'utf8')).map((document) => document.toJS());
}

/** Files and directories listed as `resources` by the kustomization in `directory`, resolved. */
function resources(directory: URL): URL[] {
  const kustomization = parse(readFileSync(new URL('kustomization.yaml', directory), 'utf8'));
  // Patches, generators or name prefixes would change the objects: this test builds only what it can build exactly.
  assert.deepEqual(Object.keys(kustomization).sort(), ['apiVersion', 'kind', 'resources'], `${fileURLToPath(directory)}kustomization.yaml lists resources, nothing else`);
  return kustomization.resources.map((resource: string) => {
    const url = new URL(resource, directory);
    return statSync(url).isDirectory() ? new URL(`${resource}/`, directory) : url;
  });
}

/** The manifest files `kubectl apply -k directory` reads: each resource file, and those of each kustomization directory. */
function files(directory: URL): URL[] {
  return resources(directory).flatMap((resource) => (resource.pathname.endsWith('/') ? files(resource) : [resource]));
}

/** The objects `kubectl apply -k directory` applies. */
function build(directory: URL): any[] {
  return files(directory).flatMap(manifests);
}

const VARIANTS = {
  'one replica on SQLite': DEPLOY,
  'three replicas on PostgreSQL': new URL('replicas/', DEPLOY),
};

const single = build(VARIANTS['one replica on SQLite']);
const replicated = build(VARIANTS['three replicas on PostgreSQL']);
const ofKind = (objects: any[], kind: string): any[] => objects.filter((object) => object.kind === kind);
const deploymentOf = (objects: any[]): any => {
  const deployments = ofKind(objects, 'Deployment');
  assert.equal(deployments.length, 1, 'one Deployment');
  return deployments[0];
};
const exampleSecret = (): any => manifests(new URL('replicas/secret.example.yaml', DEPLOY))[0];

function yamlFilesUnder(directory: URL): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.yaml'))
    .map((file) => fileURLToPath(new URL(file, directory)));
}

describe('deploy/kubernetes', () => {
  test('the RBAC rules grant exactly the calls the driver declares, no more, no less', () => {
    assert.deepEqual(ofKind(single, 'Role'), [], 'no namespaced Role: every grant is in the one ClusterRole');
    const [role] = ofKind(single, 'ClusterRole');
    const granted = new Set<string>();
    for (const rule of role.rules) {
      for (const group of rule.apiGroups) for (const resource of rule.resources) for (const verb of rule.verbs) granted.add(`${group}|${resource}|${verb}`);
      assert.equal(rule.resourceNames, undefined);
      assert.equal(rule.nonResourceURLs, undefined);
    }
    for (const grant of granted) assert.doesNotMatch(grant, /\*/, 'no wildcard');
    const declared = new Set(API_CALLS.flatMap((call) => call.verbs.map((verb) => `${call.apiGroup}|${call.resource}|${verb}`)));
    assert.deepEqual([...granted].sort(), [...declared].sort());
  });

  test('every manifest file is applied by a variant, the Secret example by none', () => {
    const applied = new Set([...files(VARIANTS['one replica on SQLite']), ...files(VARIANTS['three replicas on PostgreSQL'])].map((file) => fileURLToPath(file)));
    const written = yamlFilesUnder(DEPLOY).filter((file) => !file.endsWith('/kustomization.yaml'));
    assert.deepEqual(written.filter((file) => !EXAMPLE.test(file)).sort(), [...applied].sort());
    assert.deepEqual(written.filter((file) => EXAMPLE.test(file)).map((file) => file.slice(fileURLToPath(DEPLOY).length)), ['replicas/secret.example.yaml']);
  });

  for (const [variant, directory] of Object.entries(VARIANTS)) {
    describe(`${variant}, as every variant`, () => {
      const objects = build(directory);

      test('every object is valid, and none is applied twice', () => {
        const models: Record<string, (object: any) => { validate(): void }> = {
          Namespace: (object) => new Namespace(object),
          ServiceAccount: (object) => new ServiceAccount(object),
          ClusterRole: (object) => new ClusterRole(object),
          ClusterRoleBinding: (object) => new ClusterRoleBinding(object),
          ConfigMap: (object) => new ConfigMap(object),
          PersistentVolumeClaim: (object) => new PersistentVolumeClaim(object),
          Deployment: (object) => new Deployment(object),
          Service: (object) => new Service(object),
          PodDisruptionBudget: (object) => new PodDisruptionBudget(object),
        };
        for (const object of objects) {
          const model = models[object.kind];
          assert.ok(model, `no validator for ${object.kind}`);
          assert.doesNotThrow(() => model(object).validate(), `${object.kind} ${object.metadata.name}`);
        }
        const names = objects.map((object) => `${object.kind} ${object.metadata.namespace ?? ''}/${object.metadata.name}`);
        assert.deepEqual(names, [...new Set(names)], 'each object once');
      });

      test('the ClusterRole is bound to the service account Wharf runs as', () => {
        const [binding] = ofKind(objects, 'ClusterRoleBinding');
        const [account] = ofKind(objects, 'ServiceAccount');
        const deployment = deploymentOf(objects);
        assert.equal(binding.roleRef.name, ofKind(objects, 'ClusterRole')[0].metadata.name);
        assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
        assert.equal(deployment.spec.template.spec.serviceAccountName, account.metadata.name);
        assert.equal(deployment.metadata.namespace, account.metadata.namespace);
      });

      test("the config it mounts is a valid Wharf config with a Kubernetes region using the pod's service account", () => {
        const [configMap] = ofKind(objects, 'ConfigMap');
        const path = join(mkdtempSync(join(tmpdir(), 'wharf-deploy-')), 'wharf.yaml');
        writeFileSync(path, configMap.data['wharf.yaml']);
        const [region] = loadConfig({}, path).regions;
        assert.equal(region?.runtime, 'kubernetes');
        assert.equal(region?.kubernetes.kubeconfig, undefined, 'in the cluster: no kubeconfig, the service account token');
        const deployment = deploymentOf(objects);
        assert.deepEqual(deployment.spec.template.spec.containers[0].args, ['serve', '--config', `/etc/wharf/wharf.yaml`]);
        const mount = deployment.spec.template.spec.containers[0].volumeMounts.find((volumeMount: any) => volumeMount.mountPath === '/etc/wharf');
        const volume = deployment.spec.template.spec.volumes.find((candidate: any) => candidate.name === mount?.name);
        assert.equal(volume?.configMap?.name, configMap.metadata.name, 'the ConfigMap is mounted where --config reads it');
      });

      test('Wharf runs as non-root, without privilege escalation, its readiness and liveness on /healthz', () => {
        const pod = deploymentOf(objects).spec.template.spec;
        assert.equal(pod.securityContext.runAsNonRoot, true);
        assert.equal(pod.containers[0].securityContext.allowPrivilegeEscalation, false);
        assert.deepEqual(pod.containers[0].securityContext.capabilities.drop, ['ALL']);
        assert.equal(pod.containers[0].readinessProbe.httpGet.path, '/healthz');
        assert.equal(pod.containers[0].livenessProbe.httpGet.path, '/healthz');
        const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
        assert.match(dockerfile, /^FROM node:20\S* AS build$/m);
        assert.match(dockerfile, /^USER 1000:1000$/m);
      });
    });
  }

  test('one replica on SQLite: recreated (SQLite has one writer), its data dir on a volume claim', () => {
    const deployment = deploymentOf(single);
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy.type, 'Recreate');
    const data = deployment.spec.template.spec.volumes.find((volume: any) => volume.name === 'data');
    assert.equal(data.persistentVolumeClaim.claimName, ofKind(single, 'PersistentVolumeClaim')[0].metadata.name);
    assert.equal(deployment.spec.template.spec.containers[0].env.some((env: any) => env.name === 'WHARF_DATABASE_URL'), false, 'no PostgreSQL');
  });

  describe('three replicas on PostgreSQL', () => {
    const deployment = deploymentOf(replicated);
    const pod = deployment.spec.template.spec;
    const env = (name: string): any => pod.containers[0].env.find((variable: any) => variable.name === name);

    test('three replicas, replaced one at a time by a rolling update', () => {
      assert.equal(deployment.spec.replicas, 3);
      assert.equal(deployment.spec.strategy.type, 'RollingUpdate');
      assert.equal(deployment.spec.strategy.rollingUpdate.maxSurge, 1);
      assert.ok(deployment.spec.strategy.rollingUpdate.maxUnavailable <= 1, 'at most one replica down during an update');
    });

    test('the store URL and the admin token every replica shares come from the Secret; each names itself after its pod', () => {
      assert.deepEqual(env('WHARF_DATABASE_URL').valueFrom, { secretKeyRef: { name: 'wharf', key: 'database-url' } });
      assert.deepEqual(env('WHARF_ADMIN_TOKEN').valueFrom, { secretKeyRef: { name: 'wharf', key: 'admin-token' } });
      assert.deepEqual(env('WHARF_REPLICA_ID').valueFrom, { fieldRef: { fieldPath: 'metadata.name' } });
    });

    test('no volume claim: the data dir is an emptyDir', () => {
      assert.deepEqual(ofKind(replicated, 'PersistentVolumeClaim'), []);
      const dataDir = env('WHARF_DATA_DIR').value;
      const mount = pod.containers[0].volumeMounts.find((volumeMount: any) => volumeMount.mountPath === dataDir);
      assert.deepEqual(pod.volumes.find((volume: any) => volume.name === mount.name), { name: mount.name, emptyDir: {} });
    });

    test('a disruption budget keeps two replicas, and the scheduler prefers them on different nodes', () => {
      const [budget] = ofKind(replicated, 'PodDisruptionBudget');
      assert.equal(budget.spec.minAvailable, 2);
      assert.deepEqual(budget.spec.selector, deployment.spec.selector);
      assert.equal(budget.metadata.namespace, deployment.metadata.namespace);
      const [preferred] = pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
      assert.equal(preferred.podAffinityTerm.topologyKey, 'kubernetes.io/hostname');
      assert.deepEqual(preferred.podAffinityTerm.labelSelector, deployment.spec.selector);
    });

    test("its pod is the single replica's but for the store, the token, the replica's name, the data volume and the spreading", () => {
      const withoutDifferences = (of: any): any => {
        const copy = structuredClone(of);
        delete copy.spec.replicas;
        delete copy.spec.strategy;
        delete copy.spec.template.spec.affinity;
        const container = copy.spec.template.spec.containers[0];
        container.env = container.env.filter((variable: any) => !['WHARF_DATABASE_URL', 'WHARF_ADMIN_TOKEN', 'WHARF_REPLICA_ID'].includes(variable.name));
        copy.spec.template.spec.volumes = copy.spec.template.spec.volumes.filter((volume: any) => volume.name !== 'data');
        return copy;
      };
      assert.deepEqual(withoutDifferences(deployment), withoutDifferences(deploymentOf(single)));
    });

    test('the Secret example names what the Deployment reads, with placeholders Wharf accepts and no real password', () => {
      const secret = exampleSecret();
      assert.doesNotThrow(() => new Secret(secret).validate());
      const references = pod.containers[0].env.flatMap((variable: any) => (variable.valueFrom?.secretKeyRef ? [variable.valueFrom.secretKeyRef] : []));
      assert.deepEqual(references.map((reference: any) => reference.name), references.map(() => secret.metadata.name));
      assert.deepEqual(references.map((reference: any) => reference.key).sort(), Object.keys(secret.stringData).sort());
      assert.equal(secret.metadata.namespace, deployment.metadata.namespace);
      assert.equal(new URL(secret.stringData['database-url']).password, 'PASSWORD');
      const config = loadConfig({ WHARF_DATABASE_URL: secret.stringData['database-url'], WHARF_ADMIN_TOKEN: secret.stringData['admin-token'] }, undefined);
      assert.equal(config.databaseUrl, secret.stringData['database-url']);
    });
  });
});
