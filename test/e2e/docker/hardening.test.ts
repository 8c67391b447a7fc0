import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { apiPaths } from '../../support/api.js';
import { cleanProject, docker, dockerExec, dockerRegion, dockerSuiteSkip, eventually, IMAGES, lockDocker, projectContainers } from '../../support/docker.js';
import { startWharf, type TestWharf } from '../../support/wharf.js';

// Two regions of one Wharf: REGION with the default settings (projects A and B side by side), and
// STRICT with every option on and a pids limit low enough to hit in a few forks.
const REGION = 'dkr-hardening';
const STRICT = 'dkr-hardening-strict';
const A = 'harden-a';
const B = 'harden-b';
const S = 'harden-strict';
const PROJECTS = [[REGION, A], [REGION, B], [STRICT, S]] as const;
const STRICT_PIDS = 32;
const NON_ROOT_IMAGE = 'wharf-e2e/hardening-nonroot:1';
const skip = await dockerSuiteSkip();

// Kubernetes' "baseline" capabilities: Docker's defaults without NET_RAW.
const BASELINE = ['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'];
// The same set as the bitmask of /proc/<pid>/status (CapBnd): Docker's default 0xa80425fb less bit 13, NET_RAW.
const BASELINE_MASK = '00000000a80405fb';

const httpd = (image: string) => ({ name: 'httpd', image, command: ['httpd'], args: ['-f', '-p', '8080', '-h', '/'] });
const sleeper = (image: string) => ({ name: 'main', image, command: ['sleep'], args: ['infinity'] });
const site = (image: string) => ({
  name: 'site',
  microservices: [{ name: 'web', type: 'stateless', resourceSpec: '1U1G', ports: [{ port: 8080, protocol: 'TCP' }], containers: [httpd(image)] }],
});

/**
 * The app image with `USER 1000:1000`, what runAsNonRoot lets run, and a /tmp anyone may write to,
 * as images have it (Docker fills a tmpfs on /tmp from the image's).
 */
function buildNonRootImage(): void {
  const id = execFileSync('docker', ['create', IMAGES.app1, '/bin/busybox', 'chmod', '1777', '/tmp'], { encoding: 'utf8' }).trim();
  try {
    execFileSync('docker', ['start', '--attach', id], { stdio: 'ignore' });
    execFileSync('docker', ['commit', '--change', 'USER 1000:1000', '--change', 'CMD ["/bin/sh"]', id, NON_ROOT_IMAGE], { stdio: 'ignore' });
  } finally {
    execFileSync('docker', ['rm', id], { stdio: 'ignore' });
  }
}

/** The containers of a service's only pod, by role: `sandbox` and the spec containers' names. */
async function podContainers(region: string, project: string, pod: string): Promise<Map<string, string>> {
  const containers = (await projectContainers(region, project)).filter((c) => c.Labels['io.wharf.pod'] === pod);
  return new Map(containers.map((c) => [c.Labels['io.wharf.role'] === 'sandbox' ? 'sandbox' : c.Labels['io.wharf.container']!, c.Id]));
}

/** A pod's address and its network's gateway, from its sandbox (the pod's network namespace). */
async function podAddress(sandboxId: string): Promise<{ ip: string; gateway: string }> {
  const networks = Object.values((await docker.getContainer(sandboxId).inspect()).NetworkSettings.Networks);
  assert.equal(networks.length, 1, 'the sandbox is on its project network only');
  return { ip: networks[0]!.IPAddress, gateway: networks[0]!.Gateway };
}

/**
 * GET /VERSION over busybox nc from inside a container; rejects when nc cannot connect within 2 s.
 * Asynchronous: the host server of one test answers from this process's event loop.
 */
async function getVersion(container: string, host: string, port: number): Promise<string> {
  const script = `printf 'GET /VERSION HTTP/1.0\\r\\n\\r\\n' | nc -w 2 ${host} ${port}`;
  const { stdout } = await promisify(execFile)('docker', ['exec', container, 'sh', '-c', script], { encoding: 'utf8' });
  return stdout.trim().split('\n').at(-1)!.trim();
}

describe('Docker runtime: tenant isolation and confinement', { skip }, () => {
  let wharf: TestWharf | undefined;
  let unlock: (() => void) | undefined;
  before(async () => {
    unlock = await lockDocker();
    for (const [region, project] of PROJECTS) await cleanProject(region, project);
    buildNonRootImage();
    wharf = await startWharf({
      regions: [
        dockerRegion(REGION),
        { ...dockerRegion(STRICT), security: { pidsLimit: STRICT_PIDS, runAsNonRoot: true, readOnlyRootFilesystem: true } },
      ],
    });
  });
  after(async () => {
    await wharf?.stop();
    for (const [region, project] of PROJECTS) await cleanProject(region, project);
    await docker.getImage(NON_ROOT_IMAGE).remove().catch(() => {});
    unlock?.();
  });

  const running = (region: string, project: string, app: string, service: string) =>
    wharf!.waitForService(apiPaths(region, project).service(app, service), (s) => s.status.phase === 'running' && s.pods.length === 1, 30_000);
  const create = async (region: string, project: string, path: 'apps' | 'services', body: unknown) => {
    const paths = apiPaths(region, project);
    const created = await wharf!.request('POST', path === 'apps' ? paths.apps : paths.services('site'), body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
  };

  it('confines the sandbox and every container, and publishes on 127.0.0.1 only', async () => {
    await create(REGION, A, 'apps', site(IMAGES.app1));
    const [pod] = (await running(REGION, A, 'site', 'web')).pods;
    const ids = await podContainers(REGION, A, pod.name);
    const sandbox = await docker.getContainer(ids.get('sandbox')!).inspect();
    const container = await docker.getContainer(ids.get('httpd')!).inspect();

    for (const inspected of [sandbox, container]) {
      const host = inspected.HostConfig;
      assert.equal(host.PidsLimit, 1024, `${inspected.Name}: pids limit`);
      assert.deepEqual(host.SecurityOpt, ['no-new-privileges'], `${inspected.Name}: security options`);
      assert.deepEqual(host.CapDrop, ['ALL'], `${inspected.Name}: capabilities dropped`);
      assert.equal(host.Privileged, false, `${inspected.Name}: not privileged`);
    }
    assert.deepEqual(container.HostConfig.CapAdd, BASELINE);
    assert.equal(sandbox.HostConfig.CapAdd, null, 'the sandbox keeps no capability');
    assert.equal(sandbox.Config.User, '65534:65534');
    assert.equal(container.HostConfig.Memory, 1024 * 1024 * 1024);
    assert.equal(container.HostConfig.MemorySwap, container.HostConfig.Memory, 'no swap beyond the memory limit');

    // What the kernel applies to the running process, not only what Docker was asked.
    const status = dockerExec(ids.get('httpd')!, ['cat', '/proc/1/status']);
    assert.match(status, new RegExp(`^CapBnd:\\s+${BASELINE_MASK}$`, 'm'));
    assert.match(status, /^NoNewPrivs:\s+1$/m);

    assert.deepEqual(sandbox.HostConfig.PortBindings, { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] });
    const bindings = sandbox.NetworkSettings.Ports['8080/tcp'] ?? [];
    assert.equal(bindings.length, 1, `one binding, no IPv6 twin: ${JSON.stringify(bindings)}`);
    assert.equal(bindings[0]!.HostIp, '127.0.0.1');
    assert.deepEqual(pod.hostPorts, [{ port: 8080, protocol: 'TCP', hostPort: Number(bindings[0]!.HostPort) }]);
    const answer = await fetch(`http://127.0.0.1:${pod.hostPorts[0].hostPort}/VERSION`);
    assert.equal((await answer.text()).trim(), '1');
  });

  it('keeps another project out: neither its pods\' addresses nor its published ports through the gateway', async () => {
    // B runs the same names as A with the other image: an answer says which project it came from.
    await create(REGION, B, 'apps', site(IMAGES.app2));
    const [podB] = (await running(REGION, B, 'site', 'web')).pods;
    await create(REGION, A, 'services', { name: 'client', type: 'stateless', resourceSpec: '1U1G', containers: [sleeper(IMAGES.app1)] });
    const [client] = (await running(REGION, A, 'site', 'client')).pods;

    const clientIds = await podContainers(REGION, A, client.name);
    const a = await podAddress(clientIds.get('sandbox')!);
    const b = await podAddress((await podContainers(REGION, B, podB.name)).get('sandbox')!);
    const published = podB.hostPorts[0].hostPort;
    const main = clientIds.get('main')!;

    // Controls: B answers on its address and on its published port, from the host.
    assert.equal((await (await fetch(`http://${b.ip}:8080/VERSION`)).text()).trim(), '2');
    assert.equal((await (await fetch(`http://127.0.0.1:${published}/VERSION`)).text()).trim(), '2');
    assert.notEqual(a.gateway, b.gateway, 'each project has its own bridge');

    // The alias may take a moment to answer in Docker's DNS after the pod starts.
    const own = await eventually('web.site from the client', () => getVersion(main, 'web.site', 8080).catch(() => undefined), 10_000);
    assert.equal(own, '1', 'the client reaches its own project\'s web, not B\'s of the same name');
    await assert.rejects(getVersion(main, b.ip, 8080), `B's pod address ${b.ip} is out of A's reach`);
    await assert.rejects(getVersion(main, a.gateway, published), `B's published port ${published} is not on A's gateway ${a.gateway}`);
  });

  it('lets pods reach what the host itself serves on every address (not isolated)', async () => {
    // The limit of the isolation above, and the control that the gateway does answer: a host
    // service listening on 0.0.0.0 is reachable from a pod through its gateway.
    const server: Server = createServer((socket) => socket.once('data', () => socket.end('HTTP/1.0 200 OK\r\n\r\nhost\n')));
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const [client] = (await running(REGION, A, 'site', 'client')).pods;
      const ids = await podContainers(REGION, A, client.name);
      const { gateway } = await podAddress(ids.get('sandbox')!);
      assert.equal(await getVersion(ids.get('main')!, gateway, port), 'host');
    } finally {
      server.close();
    }
  });

  it('runAsNonRoot: leaves a pod whose image runs as root pending with CreateContainerConfigError', async () => {
    await create(STRICT, S, 'apps', { name: 'site', microservices: [{ name: 'rooted', type: 'stateless', resourceSpec: '1U1G', containers: [sleeper(IMAGES.app1)] }] });
    const service = await wharf!.waitForService(apiPaths(STRICT, S).service('site', 'rooted'), (s) => s.pods[0]?.status.reason === 'CreateContainerConfigError', 20_000);
    const [pod] = service.pods;
    assert.equal(pod.status.phase, 'pending');
    assert.equal(pod.status.message, `container has runAsNonRoot and image will run as root (container "main", image "${IMAGES.app1}")`);
    assert.deepEqual(pod.containerStatuses.map((s: any) => [s.state, s.reason]), [['waiting', 'CreateContainerConfigError']]);
    const created = (await podContainers(STRICT, S, pod.name));
    assert.ok(!created.has('main'), 'the container running as root was never created');
  });

  it('runAsNonRoot: runs an image with a non-root user, read-only but for /tmp, within the pids limit', async () => {
    await create(STRICT, S, 'services', { name: 'worker', type: 'stateless', resourceSpec: '1U1G', containers: [sleeper(NON_ROOT_IMAGE)] });
    const [pod] = (await running(STRICT, S, 'site', 'worker')).pods;
    const main = (await podContainers(STRICT, S, pod.name)).get('main')!;
    assert.equal((await docker.getContainer(main).inspect()).HostConfig.PidsLimit, STRICT_PIDS);

    assert.match(dockerExec(main, ['cat', '/proc/1/status']), /^Uid:\s+1000\s/m);
    assert.throws(() => dockerExec(main, ['sh', '-c', 'echo x > /written']), 'the root filesystem is read-only');
    assert.equal(dockerExec(main, ['sh', '-c', 'echo x > /tmp/written && cat /tmp/written']).trim(), 'x');

    // Short sleeps: what the shell starts before it hits the limit is gone in 3 s.
    const script = `n=0; while [ $n -lt ${STRICT_PIDS * 2} ]; do sleep 3 & n=$((n+1)); done; echo started $n`;
    assert.throws(() => dockerExec(main, ['sh', '-c', script]), (error: { stdout?: string; stderr?: string }) => {
      assert.doesNotMatch(error.stdout ?? '', /started/, 'the shell did not start every process');
      assert.match(error.stderr ?? '', /can't fork/);
      return true;
    });
  });
});
