import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { ContainerStatus } from '../../src/model/service-status.js';
import { invalidArgs } from '../../src/domain/errors.js';
import type { ObservedPod } from '../../src/domain/observed.js';
import type { LogOptions, LogQuery } from '../../src/runtime/logs.js';
import type { Runtime } from '../../src/runtime/runtime.js';
import { serviceLogs } from '../../src/runtime/service-logs.js';

const key = { region: 'r', project: 'p', app: 'shop', service: 'web' };
const QUERY: LogQuery = { timestamps: false, previous: false, follow: false };

function container(name: string, startedAt = '2026-01-01T00:00:00.000Z'): ContainerStatus {
  return { name, state: 'running', reason: '', message: '', ready: true, restartCount: 0, startedAt };
}

function pod(name: string, containers: ContainerStatus[]): ObservedPod {
  return { name, serviceUid: 'u', revision: 1, podTemplateHash: 'h', status: { phase: 'running', reason: '', message: '' }, containerStatuses: containers, ready: true, creationTime: '2026-01-01T00:00:00.000Z' };
}

/** An engine whose pods a test sets, and whose log streams it writes to (or, for a log read whole, sets). */
function fakeEngine() {
  const pods: ObservedPod[] = [];
  const streams = new Map<string, PassThrough>();
  const asked: Array<{ id: string; options: LogOptions }> = [];
  const whole = new Map<string, string>();
  const runtime = {
    observe: () => ({ known: true, pods: [...pods] }),
    logs: async (ref: { pod: string }, options: LogOptions): Promise<Readable> => {
      const id = `${ref.pod}/${options.container}`;
      asked.push({ id, options });
      if (options.previous && !whole.has(id)) throw invalidArgs(`previous terminated container "${options.container}" not found`, 'previous');
      if (whole.has(id)) return Readable.from([whole.get(id)!]);
      const stream = new PassThrough();
      streams.set(id, stream);
      return stream;
    },
  } as unknown as Runtime;
  return { pods, streams, asked, whole, runtime };
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('a service\'s logs, merged', () => {
  it('without follow: pod by pod in name order, container by container, every line prefixed and ended', async () => {
    const engine = fakeEngine();
    engine.pods.push(pod('web-b', [container('main')]), pod('web-a', [container('main'), container('side')]));
    engine.whole.set('web-a/main', 'a1\na2\n');
    engine.whole.set('web-a/side', 'no newline at the end');
    engine.whole.set('web-b/main', 'b1\n');
    const skipped: string[] = [];
    const output = serviceLogs({ runtime: engine.runtime, key, container: undefined, query: QUERY, pollMs: 10, onSkip: (p, c) => skipped.push(`${p}/${c}`) });
    let text = '';
    for await (const chunk of output) text += String(chunk);
    assert.equal(text, '[web-a/main] a1\n[web-a/main] a2\n[web-a/side] no newline at the end\n[web-b/main] b1\n');
    assert.deepEqual(skipped, []);
  });

  it('a container with nothing to read (previous of one that never restarted) is left out, the others read', async () => {
    const engine = fakeEngine();
    engine.pods.push(pod('web-a', [container('main'), container('side')]));
    engine.whole.set('web-a/side', 'crashed\n');
    const skipped: string[] = [];
    const output = serviceLogs({ runtime: engine.runtime, key, container: undefined, query: { ...QUERY, previous: true }, pollMs: 10, onSkip: (p, c) => skipped.push(`${p}/${c}`) });
    let text = '';
    for await (const chunk of output) text += String(chunk);
    assert.equal(text, '[web-a/side] crashed\n');
    assert.deepEqual(skipped, ['web-a/main']);
  });

  it('followed: lines never cut by another container\'s, pods that appear are read whole, pods that go and the reader going close their streams', async () => {
    const engine = fakeEngine();
    engine.pods.push(pod('web-a', [container('main')]), pod('web-b', [container('main')]));
    const output = serviceLogs({ runtime: engine.runtime, key, container: 'main', query: { ...QUERY, follow: true, tailLines: 5 }, pollMs: 10, onSkip: () => {} });
    let text = '';
    output.on('data', (chunk) => (text += String(chunk)));
    await until(() => engine.streams.size === 2, 'both pods opened');
    assert.deepEqual(engine.asked.map((each) => each.options.tailLines), [5, 5], 'the request\'s tail for what ran when it came');

    engine.streams.get('web-a/main')!.write('par');
    engine.streams.get('web-b/main')!.write('whole line\n');
    engine.streams.get('web-a/main')!.write('tial\n');
    await until(() => text.includes('partial'), 'the partial line completed');
    assert.deepEqual(text.trimEnd().split('\n').sort(), ['[web-a/main] partial', '[web-b/main] whole line']);

    engine.pods.push(pod('web-c', [container('main')]));
    await until(() => engine.streams.has('web-c/main'), 'the new pod opened');
    assert.equal(engine.asked.at(-1)!.options.tailLines, undefined, 'a pod that appeared later is read from its first line');

    const b = engine.streams.get('web-b/main')!;
    engine.pods.splice(engine.pods.findIndex((each) => each.name === 'web-b'), 1);
    await until(() => b.destroyed, 'the stream of the pod that went is closed');

    // web-a's container ends, then starts again: its new instance is read.
    const a = engine.streams.get('web-a/main')!;
    a.end();
    await until(() => a.readableEnded, 'web-a ended');
    engine.pods[0] = pod('web-a', [container('main', '2026-01-01T00:05:00.000Z')]);
    await until(() => engine.streams.get('web-a/main') !== a, 'web-a re-opened after its restart');
    engine.streams.get('web-a/main')!.write('started again\n');
    await until(() => text.includes('[web-a/main] started again\n'), 'the new instance\'s line');

    const open = [...engine.streams.values()].filter((stream) => !stream.destroyed && !stream.readableEnded);
    const asked = engine.asked.length;
    output.destroy();
    await until(() => open.every((stream) => stream.destroyed), 'every engine stream closed with the reader');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(engine.asked.length, asked, 'nothing is opened once the reader went');
  });

  it('followed: a client that reads slowly holds the engine streams back instead of Wharf buffering them', async () => {
    const engine = fakeEngine();
    engine.pods.push(pod('web-a', [container('main')]));
    const output = serviceLogs({ runtime: engine.runtime, key, container: undefined, query: { ...QUERY, follow: true }, pollMs: 10, onSkip: () => {} });
    await until(() => engine.streams.has('web-a/main'), 'opened');
    const engineStream = engine.streams.get('web-a/main')!;
    const line = `${'x'.repeat(99)}\n`;
    // Nobody reads the output: after what the buffers between hold, the engine's stream is no longer read.
    for (let i = 0; i < 2000 && engineStream.write(line); i++);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.ok(engineStream.writableLength > 0, 'the engine stream is held back, its writes waiting');
    assert.ok(output.readableLength < 200_000, `Wharf buffers a bounded amount: ${output.readableLength} bytes`);
    let received = 0;
    output.on('data', (chunk: Buffer) => (received += chunk.length));
    await until(() => engineStream.writableLength === 0, 'the engine stream drained once the client reads');
    assert.ok(received > 0, 'the held lines arrive');
    output.destroy();
  });
});
