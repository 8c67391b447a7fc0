import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { apiPaths } from '../../support/api.js';
import { address, dockerSuiteSkip, eventually, IMAGES, projectContainers, useDockerWharf } from '../../support/docker.js';
import { engineAnswers } from '../../../src/runtime/docker/client.js';

const REGION = 'dkr-daemon';
const PROJECT = 'daemon';
const paths = apiPaths(REGION, PROJECT);
const WEB = paths.service('shop', 'web');

/** The local dockerd's pid and command line, when this test may restart it (root, daemon on this host). */
function localDaemon(): { pid: number; argv: string[] } | undefined {
  try {
    const pid = Number(readFileSync('/var/run/docker.pid', 'utf8'));
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    return process.getuid?.() === 0 && argv[0]?.endsWith('dockerd') ? { pid, argv } : undefined;
  } catch {
    return undefined;
  }
}

const skip = (await dockerSuiteSkip()) || (localDaemon() ? false : 'restarting dockerd needs root and a dockerd of this host (/var/run/docker.pid)');
if (skip && !String(skip).startsWith('no Docker')) console.warn(`skipping the dockerd restart test: ${skip}`);

describe('Docker runtime: dockerd restarted under a running Wharf', { skip }, () => {
  const wharf = useDockerWharf(REGION, PROJECT);

  it('reports phase unknown while dockerd is down and running again after, without restarting Wharf', async () => {
    const created = await wharf().request('POST', paths.apps, {
      name: 'shop',
      microservices: [{ name: 'web', type: 'stateless', resourceSpec: '1U1G', instanceNumber: 2, containers: [{ name: 'httpd', image: IMAGES.app1, command: ['httpd'], args: ['-f', '-p', '80', '-h', '/'] }] }],
    });
    assert.equal(created.status, 201);
    await wharf().waitForService(WEB, (s) => s.status.phase === 'running', 30_000);

    const daemon = localDaemon()!;
    process.kill(daemon.pid, 'SIGTERM');
    await eventually('dockerd to stop', async () => (processGone(daemon.pid) ? true : undefined), 60_000);
    const down = await wharf().waitForService(WEB, (s) => s.status.phase === 'unknown', 10_000);
    assert.equal(down.status.phase, 'unknown');
    assert.equal((await wharf().request('GET', '/healthz')).status, 200, 'the API answers while the engine is down');

    // The same command line as before; its log goes next to the test's temporary files.
    const log = openSync(join(tmpdir(), 'wharf-e2e-dockerd.log'), 'a');
    spawn(daemon.argv[0]!, daemon.argv.slice(1), { detached: true, stdio: ['ignore', log, log] }).unref();
    await eventually('dockerd to answer again', async () => ((await engineAnswers(address)) ? true : undefined), 60_000);

    const back = await wharf().waitForService(WEB, (s) => s.status.phase === 'running' && s.pods.length === 2, 60_000);
    assert.equal(back.status.available, 2);
    const running = (await projectContainers(REGION, PROJECT)).filter((c) => c.State === 'running');
    assert.equal(running.length, 4, 'two sandboxes and two containers run again');
  });
});

function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}
