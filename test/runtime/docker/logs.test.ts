import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { LogFrames } from '../../../src/runtime/docker/multiplexed-stream.js';
import { instanceWindow } from '../../../src/runtime/docker/logs.js';
import { containerStats, type DockerStatsSample } from '../../../src/runtime/docker/stats.js';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

const NEVER = '0001-01-01T00:00:00Z';
const inspected = (state: { Running: boolean; Restarting?: boolean; StartedAt: string; FinishedAt: string }, restarts = 0) => ({ RestartCount: restarts, Config: {}, State: state });

describe('Docker logs', () => {
  it('LogFrames: stdout and stderr frames merged in order, frames split across chunks', async () => {
    const bytes = Buffer.concat([frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    const chunks = [bytes.subarray(0, 3), bytes.subarray(3, 17), bytes.subarray(17)];
    let text = '';
    for await (const chunk of Readable.from(chunks).pipe(new LogFrames())) text += String(chunk);
    assert.equal(text, 'out 1\nerr 1\nout 2\n');
  });

  it('LogFrames: a stream cut inside a frame is an error, not a silently shorter log', async () => {
    const cut = frame(1, 'truncated\n').subarray(0, 12);
    await assert.rejects(async () => {
      for await (const _chunk of Readable.from([cut]).pipe(new LogFrames()));
    }, /ended inside a frame/);
  });

  it('a running container: the current instance is the log since the last run finished, previous everything before', () => {
    const running = inspected({ Running: true, StartedAt: '2026-01-01T00:01:00.5Z', FinishedAt: '2026-01-01T00:00:59Z' }, 1);
    assert.deepEqual(instanceWindow(running, { previous: false, container: 'main' }), { since: Date.parse('2026-01-01T00:00:59Z') });
    assert.deepEqual(instanceWindow(running, { previous: true, container: 'main' }), { until: Date.parse('2026-01-01T00:00:59Z') });
  });

  it('previous of a container that never ended is 400; of one waiting to restart, the runs before the last', () => {
    const fresh = inspected({ Running: true, StartedAt: '2026-01-01T00:01:00Z', FinishedAt: NEVER });
    assert.deepEqual(instanceWindow(fresh, { previous: false, container: 'main' }), {}, 'one run so far: the whole log, its first line however early');
    assert.throws(() => instanceWindow(fresh, { previous: true, container: 'main' }), (error: any) => error.code === 'InvalidArgs' && error.key === 'previous' && /previous terminated container "main" not found/.test(error.message));
    const firstCrash = inspected({ Running: false, Restarting: true, StartedAt: '2026-01-01T00:01:00Z', FinishedAt: '2026-01-01T00:01:01Z' }, 0);
    assert.throws(() => instanceWindow(firstCrash, { previous: true, container: 'main' }), /not found/, 'its only run is the current one');
    const looping = inspected({ Running: true, Restarting: true, StartedAt: '2026-01-01T00:02:00Z', FinishedAt: '2026-01-01T00:02:01Z' }, 3);
    const boundary = Date.parse('2026-01-01T00:02:00Z') - 100;
    assert.deepEqual(instanceWindow(looping, { previous: false, container: 'main' }), { since: boundary }, 'the last run, from within the restart back-off before its recorded start');
    assert.deepEqual(instanceWindow(looping, { previous: true, container: 'main' }), { until: boundary });
  });

  it('stats as docker stats computes them: CPU from the deltas times the CPUs, memory less the inactive page cache', () => {
    const sample: DockerStatsSample = {
      read: '2026-01-01T00:00:01Z',
      cpu_stats: { cpu_usage: { total_usage: 1_500_000_000 }, system_cpu_usage: 20_000_000_000, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000_000 }, system_cpu_usage: 16_000_000_000 },
      memory_stats: { usage: 50_000_000, limit: 1_073_741_824, stats: { inactive_file: 10_000_000 } },
    };
    assert.deepEqual(containerStats('main', sample), { name: 'main', cpu: { usageCores: 0.5 }, memory: { usageBytes: 40_000_000, limitBytes: 1_073_741_824 } });
    const v1 = { ...sample, memory_stats: { usage: 30, stats: { total_inactive_file: 10 } } };
    assert.deepEqual(containerStats('main', v1).memory, { usageBytes: 20 }, 'cgroup v1\'s name; no limit reported, none shown');
    const first = { ...sample, precpu_stats: { cpu_usage: { total_usage: 0 } } };
    assert.equal(containerStats('main', first).cpu.usageCores, 0, 'without a previous reading there is no use to measure');
  });
});
