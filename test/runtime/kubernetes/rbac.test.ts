import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config.js';
import { API_CALLS } from '../../../src/runtime/kubernetes/api.js';

const DEPLOY = new URL('../../../deploy/kubernetes/', import.meta.url);

function manifests(file: string): any[] {
  return parseAllDocuments(readFileSync(new URL(file, DEPLOY), 'utf8')).map((document) => document.toJS());
}

const all = readdirSync(DEPLOY).filter((file) => file !== 'kustomization.yaml').flatMap(manifests);
const ofKind = (kind: string): any[] => all.filter((object) => object.kind === kind);

describe('deploy/kubernetes', () => {
  test('the RBAC rules grant exactly the calls the driver declares, no more, no less', () => {
    assert.deepEqual(ofKind('Role'), [], 'no namespaced Role: every grant is in the one ClusterRole');
    const [role] = ofKind('ClusterRole');
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

  test('the ClusterRole is bound to the service account Wharf runs as', () => {
    const [binding] = ofKind('ClusterRoleBinding');
    const [account] = ofKind('ServiceAccount');
    const [deployment] = ofKind('Deployment');
    assert.equal(binding.roleRef.name, ofKind('ClusterRole')[0].metadata.name);
    assert.deepEqual(binding.subjects, [{ kind: 'ServiceAccount', name: account.metadata.name, namespace: account.metadata.namespace }]);
    assert.equal(deployment.spec.template.spec.serviceAccountName, account.metadata.name);
    assert.equal(deployment.metadata.namespace, account.metadata.namespace);
  });

  test('every manifest is valid and listed in the kustomization', () => {
    const models: Record<string, (object: any) => { validate(): void }> = {
      Namespace: (object) => new Namespace(object),
      ServiceAccount: (object) => new ServiceAccount(object),
      ClusterRole: (object) => new ClusterRole(object),
      ClusterRoleBinding: (object) => new ClusterRoleBinding(object),
      ConfigMap: (object) => new ConfigMap(object),
      PersistentVolumeClaim: (object) => new PersistentVolumeClaim(object),
      Deployment: (object) => new Deployment(object),
      Service: (object) => new Service(object),
    };
    for (const object of all) {
      const model = models[object.kind];
      assert.ok(model, `no validator for ${object.kind}`);
      assert.doesNotThrow(() => model(object).validate(), `${object.kind} ${object.metadata.name}`);
    }
    const listed = parse(readFileSync(new URL('kustomization.yaml', DEPLOY), 'utf8')).resources;
    assert.deepEqual([...listed].sort(), readdirSync(DEPLOY).filter((file) => file !== 'kustomization.yaml').sort());
  });

  test('the config it mounts is a valid Wharf config with a Kubernetes region using the pod\'s service account', () => {
    const [configMap] = ofKind('ConfigMap');
    const path = join(mkdtempSync(join(tmpdir(), 'wharf-deploy-')), 'wharf.yaml');
    writeFileSync(path, configMap.data['wharf.yaml']);
    const [region] = loadConfig({}, path).regions;
    assert.equal(region?.runtime, 'kubernetes');
    assert.equal(region?.kubernetes.kubeconfig, undefined, 'in the cluster: no kubeconfig, the service account token');
    const [deployment] = ofKind('Deployment');
    assert.deepEqual(deployment.spec.template.spec.containers[0].args, ['serve', '--config', `/etc/wharf/wharf.yaml`]);
  });

  test('Wharf runs as non-root, without privilege escalation, one replica recreated (SQLite has one writer)', () => {
    const [deployment] = ofKind('Deployment');
    const pod = deployment.spec.template.spec;
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.containers[0].securityContext.allowPrivilegeEscalation, false);
    assert.deepEqual(pod.containers[0].securityContext.capabilities.drop, ['ALL']);
    assert.equal(deployment.spec.replicas, 1);
    assert.equal(deployment.spec.strategy.type, 'Recreate');
    const dockerfile = readFileSync(new URL('../../../Dockerfile', import.meta.url), 'utf8');
    assert.match(dockerfile, /^FROM node:20\S* AS build$/m);
    assert.match(dockerfile, /^USER 1000:1000$/m);
  });
});
