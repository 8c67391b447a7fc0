import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { dockerSuiteSkip, IMAGES, useDockerWharf } from '../../support/docker.js';

const REGION = 'dkr-sandbox-image';
const PROJECT = 'sandboxless';
const paths = apiPaths(REGION, PROJECT);
const skip = await dockerSuiteSkip();
// No registry answers here, as on a first run offline: the sandbox image cannot be had.
const MISSING_SANDBOX = 'wharf-e2e/no-such-sandbox:1';

describe('Docker runtime: a sandbox image the engine cannot have', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT, { settings: { docker: { sandboxImage: MISSING_SANDBOX } } });

  it('keeps the pods pending with a reason that names the sandbox image and the settings that choose it', async () => {
    const service = { name: 'web', type: 'stateless', resourceSpec: '1U1G', containers: [{ name: 'main', image: IMAGES.app1, command: ['sleep'], args: ['infinity'] }] };
    assert.equal((await wharf().request('POST', paths.apps, { name: 'shop', microservices: [service] })).status, 201);
    const pending = await wharf().waitForService(paths.service('shop', 'web'), (s) => /^(ErrImagePull|ImagePullBackOff)$/.test(s.pods[0]?.status.reason ?? ''), 30_000);
    const { message } = pending.pods[0].status;
    for (const part of ['sandbox image', MISSING_SANDBOX, 'WHARF_SANDBOX_IMAGE', 'docker.sandboxImage']) {
      assert.ok(message.includes(part), `the message names ${part}: ${message}`);
    }
  });
});
