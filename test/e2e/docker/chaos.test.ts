import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type Docker from 'dockerode';
import { LABEL } from '../../../src/runtime/docker/labels.js';
import { apiPaths, assertError, eventually as apiEventually } from '../../support/api.js';
import { ChaosWriter } from '../../support/chaos-writes.js';
import { dropTestDatabase, TEST_DATABASE_URL, testDatabase } from '../../support/database.js';
import { cleanProject, docker, dockerSuiteSkip, eventually, IMAGES, lockDocker, writeDockerConfig } from '../../support/docker.js';
import { startServerProcess, type ServerProcess } from '../../support/server-process.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

// A region of its own, new each run: a run that died leaves its claim on the engine behind.
const REGION = `chaos-${randomBytes(3).toString('hex')}`;
const PROJECT = 'chaos';
const paths = apiPaths(REGION, PROJECT);
const REPLICAS = 3;
const KILLS = 10;
/** WHARF_LEASE_DURATION_SECONDS: short, so that ten takeovers fit in the test's time. */
const LEASE_SECONDS = 2;
/**
 * A dead leader's lease runs out at most a lease after its last renewal, and a candidate tries
 * again every sixth of a lease; 1 s more for a loaded machine.
 */
const TAKEOVER_BOUND_MS = LEASE_SECONDS * 1000 * (7 / 6) + 1000;
/** How long the engine may take to hold exactly the desired pods once the writes stop. */
const CONVERGENCE_MS = 45_000;
/** Between two writes of the client: a steady load the engine keeps up with. */
const WRITE_PAUSE_MS = 250;

const skip = (await dockerSuiteSkip()) || (TEST_DATABASE_URL ? false : 'needs PostgreSQL: set WHARF_TEST_DATABASE_URL');

interface Replica {
  id: string;
  server: ServerProcess;
}

describe(`chaos: ${REPLICAS} replicas on one PostgreSQL and the Docker runtime`, { skip }, () => {
  let unlock: (() => void) | undefined;
  let dataDir: string;
  let databaseUrl: string | undefined;
  let proxy: TcpProxy | undefined;
  let env: NodeJS.ProcessEnv;
  const live: Replica[] = [];
  let started = 0;
  /** One client for both tests: the second starts from what the first left. */
  const writer = new ChaosWriter(paths, IMAGES.app1);

  /** Starts still under way: the end waits for them, so that no replica outlives the test. */
  const starting = new Set<Promise<unknown>>();

  async function startReplica(): Promise<Replica> {
    const id = `replica-${started++}`;
    const start = startServerProcess(dataDir, { ...env, WHARF_REPLICA_ID: id });
    starting.add(start);
    try {
      const replica = { id, server: await start };
      live.push(replica);
      return replica;
    } finally {
      starting.delete(start);
    }
  }

  async function kill(replica: Replica): Promise<void> {
    if (live.includes(replica)) live.splice(live.indexOf(replica), 1);
    replica.server.child.kill('SIGKILL');
    await replica.server.exited;
  }

  const anyReplica = (): ServerProcess => live[Math.floor(Math.random() * live.length)]!.server;

  /** The replica whose /healthz says it leads the region, if one does. */
  async function leader(): Promise<Replica | undefined> {
    const leads = await Promise.all(
      live.map(async (replica) => {
        const health = await replica.server.request('GET', '/healthz').catch(() => undefined);
        return health?.status === 200 && (health.body.leads as string[]).includes(REGION);
      }),
    );
    return live.find((_, index) => leads[index]);
  }

  /** The region's leader as each replica's `GET /v1/regions` names it. */
  function listedLeaders(): Promise<Array<{ replica: string; since: string } | null>> {
    return Promise.all(
      live.map(async (replica) => {
        const regions = await replica.server.request('GET', '/v1/regions');
        return regions.body.find((region: any) => region.name === REGION).leader;
      }),
    );
  }

  /** Waits until the engine holds exactly the pods the API lists and wants, then checks the writes against every replica's view. */
  async function assertConverged(): Promise<void> {
    const deadline = Date.now() + CONVERGENCE_MS;
    for (;;) {
      const apps = await anyReplica().request('GET', paths.apps);
      const differences = apps.status === 200 ? engineDifferences(apps.body, await regionContainers()) : [`GET apps answered ${apps.status}`];
      if (differences.length === 0) break;
      if (Date.now() > deadline) {
        assert.fail(`the engine did not converge in ${CONVERGENCE_MS / 1000} s:\n${differences.join('\n')}\n${await replicaLogs()}`);
      }
      await sleep(500);
    }
    for (const replica of live) {
      const apps = await replica.server.request('GET', paths.apps);
      assert.equal(apps.status, 200, JSON.stringify(apps.body));
      assert.deepEqual(writer.differences(apps.body), [], `${replica.id} lists every acknowledged write, and nothing no write made`);
    }
    assert.deepEqual(writer.unexpected, [], 'no write got an answer it cannot get');
  }

  /** The last lines each replica logged (warnings and errors), and which one leads: what a failure needs to be understood. */
  async function replicaLogs(): Promise<string> {
    const leading = await leader();
    return live
      .map((replica) => {
        const lines = replica.server.output().trimEnd().split('\n').slice(-40).join('\n');
        return `--- ${replica.id}${replica === leading ? ' (leads)' : ''}, its last log lines:\n${lines}`;
      })
      .join('\n');
  }

  before(async () => {
    // The runner ends a file that outlives its timeout with SIGTERM, running no hook: the replicas
    // would live on, still driving the region.
    process.once('SIGTERM', () => void tearDown().finally(() => process.exit(1)));
    unlock = await lockDocker();
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-chaos-'));
    databaseUrl = await testDatabase(dataDir);
    const direct = new URL(databaseUrl);
    proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port || 5432) });
    const proxied = new URL(databaseUrl);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    env = {
      WHARF_CONFIG: writeDockerConfig(REGION, dataDir),
      WHARF_DATABASE_URL: proxied.toString(),
      WHARF_LEASE_DURATION_SECONDS: String(LEASE_SECONDS),
    };
    // One after another: on a busy machine, starts side by side take longer than one by one.
    for (let count = 0; count < REPLICAS; count++) await startReplica();
  });

  async function tearDown(): Promise<void> {
    await proxy?.restore();
    await Promise.allSettled(starting);
    await Promise.all([...live].map(kill));
    await cleanProject(REGION, PROJECT, { volumes: true });
    await proxy?.close();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
    rmSync(dataDir, { recursive: true, force: true });
    unlock?.();
  }
  after(tearDown);

  it(`keeps every acknowledged write and exactly the desired pods while the leader is killed with SIGKILL ${KILLS} times`, { timeout: 360_000 }, async (t) => {
    const stopWriting = new AbortController();
    // A test that timed out stops writing too: the next one's client must be the only one.
    const writes = writer.writeUntil(AbortSignal.any([t.signal, stopWriting.signal]), anyReplica, WRITE_PAUSE_MS);
    const slow: string[] = [];
    try {
      for (let round = 1; round <= KILLS && !t.signal.aborted; round++) {
        const old = await eventually('a replica to lead the region', leader, 10_000);
        const killedAt = performance.now();
        await kill(old);
        const takeover = eventually('a survivor to lead the region', leader, TAKEOVER_BOUND_MS + 10_000).then(async (next) => {
          const takeoverMs = Math.round(performance.now() - killedAt);
          t.diagnostic(`takeover ${round}: ${takeoverMs} ms (${old.id} killed, ${next.id} leads)`);
          if (takeoverMs > TAKEOVER_BOUND_MS) slow.push(`takeover ${round} took ${takeoverMs} ms`);
          // Every replica sees the lease at its next attempt, a sixth of a lease later.
          const listed = await apiEventually(listedLeaders, (leaders) => leaders.every((listing) => listing?.replica === next.id), 5000);
          assert.ok(!Number.isNaN(Date.parse(listed[0]!.since)), `the leader's since is a time: ${listed[0]!.since}`);
        });
        // The replacement starts at once, so that three run again soon: a start takes seconds (tsx compiles the server).
        await Promise.all([takeover, startReplica()]);
      }
    } finally {
      stopWriting.abort();
      await writes;
    }
    t.diagnostic(`writes: ${JSON.stringify(writer.counts)}`);
    assert.deepEqual(slow, [], `every takeover within ${TAKEOVER_BOUND_MS} ms`);
    assert.ok(writer.counts.acknowledged >= 2 * KILLS, `the client wrote throughout: ${JSON.stringify(writer.counts)}`);
    await assertConverged();
  });

  it('answers 503 StoreUnavailable on every replica while PostgreSQL is gone, and recovers by itself once it is back', { timeout: 180_000 }, async (t) => {
    const stopWriting = new AbortController();
    // A test that timed out stops writing too: the next one's client must be the only one.
    const writes = writer.writeUntil(AbortSignal.any([t.signal, stopWriting.signal]), anyReplica, WRITE_PAUSE_MS);
    try {
      const acknowledgedAtStart = writer.counts.acknowledged;
      await eventually('writes to go through', async () => (writer.counts.acknowledged >= acknowledgedAtStart + 5 ? true : undefined), 20_000);
      await proxy!.cut();
      // A write that would find nothing to change: while the store is gone it cannot even learn that.
      const missing = paths.action('none', 'none', 'scale/1');
      for (const replica of live) {
        const refused = await replica.server.request('PUT', missing);
        assertError(refused, 503, 'StoreUnavailable');
        assert.equal(refused.headers['retry-after'], '1', `${replica.id} tells the client when to retry`);
      }
      // A leader that cannot renew its lease steps down before it runs out.
      await eventually('no replica to lead', async () => ((await leader()) ? undefined : true), LEASE_SECONDS * 1000 + 1000);
      const acknowledgedBefore = writer.counts.acknowledged;
      await sleep(LEASE_SECONDS * 1000);
      assert.equal(writer.counts.acknowledged, acknowledgedBefore, 'no write is acknowledged while the store is gone');

      await proxy!.restore();
      for (const replica of live) {
        await eventually(`${replica.id} to reach the store again`, async () => ((await replica.server.request('PUT', missing)).status === 404 ? true : undefined), 20_000);
      }
      const back = await eventually('a replica to lead again', leader, 20_000);
      t.diagnostic(`${back.id} leads after the outage; writes: ${JSON.stringify(writer.counts)}`);
      await eventually('writes to go through again', async () => (writer.counts.acknowledged >= acknowledgedBefore + 5 ? true : undefined), 20_000);
    } finally {
      stopWriting.abort();
      await writes;
    }
    await assertConverged();
  });
});

/** Every Wharf container of the region, running or not, as the engine lists them. */
function regionContainers(): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`${LABEL.region}=${REGION}`] } });
}

/**
 * How the engine differs from what the API wants, listed as `GET .../apps` answers: each service
 * that is not stopped has exactly instanceNumber running pods of its current revision, each a
 * running sandbox and container on the engine; there is no other container, and no pod twice.
 */
function engineDifferences(apps: any[], containers: Docker.ContainerInfo[]): string[] {
  const found: string[] = [];
  const wanted = new Map<string, { service: string; revision: number }>();
  for (const app of apps) {
    for (const service of app.microservices) {
      const id = `${app.name}/${service.name}`;
      const pods = service.pods as any[];
      if (pods.length !== service.status.desire) found.push(`${id} lists ${pods.length} pods, wants ${service.status.desire}`);
      for (const pod of pods) {
        if (pod.status.phase !== 'running' || pod.revision !== service.revision) {
          found.push(`${id} pod ${pod.name} is ${pod.status.phase} at revision ${pod.revision} of ${service.revision} (${pod.status.reason}: ${pod.status.message})`);
        }
        if (wanted.has(pod.name)) found.push(`pod ${pod.name} is listed twice`);
        wanted.set(pod.name, { service: id, revision: service.revision });
      }
    }
  }
  const sandboxes = new Map<string, number>();
  for (const container of containers) {
    const labels = container.Labels;
    const pod = labels[LABEL.pod]!;
    const want = wanted.get(pod);
    const what = `${labels[LABEL.role]} ${container.Names[0]}`;
    if (!want || `${labels[LABEL.app]}/${labels[LABEL.service]}` !== want.service) {
      found.push(`${what} (${container.State}: ${container.Status}) belongs to no pod the API lists`);
      continue;
    }
    if (labels[LABEL.revision] !== String(want.revision)) found.push(`${what} is of revision ${labels[LABEL.revision]}, not ${want.revision}`);
    if (container.State !== 'running') found.push(`${what} is ${container.State}`);
    if (labels[LABEL.role] === 'sandbox') sandboxes.set(pod, (sandboxes.get(pod) ?? 0) + 1);
  }
  for (const [pod, { service }] of wanted) {
    const count = sandboxes.get(pod) ?? 0;
    if (count !== 1) found.push(`${service} pod ${pod} has ${count} sandboxes on the engine`);
    if (!containers.some((container) => container.Labels[LABEL.pod] === pod && container.Labels[LABEL.role] === 'container')) found.push(`${service} pod ${pod} has no container on the engine`);
  }
  return found;
}
