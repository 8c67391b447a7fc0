import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type Docker from 'dockerode';
import { networkName } from '../../../src/runtime/docker/labels.js';
import { ProjectNetworks } from '../../../src/runtime/docker/network.js';

const owner = { region: 'eu', instanceId: 'a1b2c3' };
const NAME = networkName(owner.region, 'shop');

interface FakeNetwork {
  Id: string;
  Name: string;
  Created: string;
}

/** Networks as the engine lists them; a create takes `createMs`, and, as Docker's, checks no duplicate atomically. */
function fakeEngine(networks: FakeNetwork[], createMs = 0) {
  const removed: string[] = [];
  let created = 0;
  const docker = {
    listNetworks: async (options: { filters: { name: string[] } }) => networks.filter((network) => network.Name.includes(options.filters.name[0]!)),
    createNetwork: async (options: Docker.NetworkCreateOptions) => {
      const id = `new-${++created}`;
      await new Promise((resolve) => setTimeout(resolve, createMs));
      networks.push({ Id: id, Name: options.Name, Created: new Date(Date.parse('2026-01-02T00:00:00Z') + created).toISOString() });
      return {};
    },
    getNetwork: (id: string) => ({
      remove: async () => {
        removed.push(id);
        networks.splice(networks.findIndex((network) => network.Id === id), 1);
      },
    }),
  } as unknown as Docker;
  return { docker, removed, networks };
}

describe('ProjectNetworks: one network per project, even after racing creates', () => {
  it('takes the oldest network of the name, by id, and removes the others: a start by an ambiguous name fails', async () => {
    const engine = fakeEngine([
      { Id: 'b-newer', Name: NAME, Created: '2026-01-01T00:00:02.5Z' },
      { Id: 'c-other-project', Name: `${NAME}-x`, Created: '2026-01-01T00:00:00Z' },
      { Id: 'a-older', Name: NAME, Created: '2026-01-01T00:00:02Z' },
    ]);
    const networks = new ProjectNetworks(engine.docker, owner);
    assert.equal(await networks.ensure('shop'), 'a-older');
    assert.deepEqual(engine.removed, ['b-newer'], 'the duplicate goes; a network whose name only contains it stays');
  });

  it('a creation forgotten while it is under way, then asked again, leaves one network that both get', async () => {
    const engine = fakeEngine([], 20);
    const networks = new ProjectNetworks(engine.docker, owner);
    const first = networks.ensure('shop');
    // A pod creation failed meanwhile: the network may be gone, so the next one checks again.
    networks.forget('shop');
    const second = networks.ensure('shop');
    const ids = await Promise.all([first, second]);
    assert.equal(ids[0], ids[1], `both pods join one network: ${ids.join(', ')}`);
    assert.deepEqual(engine.networks.map((network) => network.Id), [ids[0]], 'the engine has one network of the name');
  });
});
