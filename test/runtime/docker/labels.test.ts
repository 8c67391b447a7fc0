import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { claimMarkerName, isOwnedBy, LABEL, networkName, volumeConflict, volumeLabels, volumeName } from '../../../src/runtime/docker/labels.js';
import { legacyNetworkName, legacyVolumeName } from '../../../src/runtime/docker/migration.js';

const owner = { region: 'eu', instanceId: 'a1b2c3' };

describe('Docker engine names', () => {
  test('volumes of projects whose names collided under the legacy scheme get different names', () => {
    assert.equal(legacyVolumeName('rsv-x', 'data'), legacyVolumeName('rsv', 'x-data'), 'the legacy collision');
    assert.equal(volumeName('eu', 'rsv-x', 'data'), 'wharf_eu_rsv-x_data');
    assert.equal(volumeName('eu', 'rsv', 'x-data'), 'wharf_eu_rsv_x-data');
  });

  test('the region is part of volume and network names', () => {
    assert.notEqual(volumeName('eu', 'shop', 'data'), volumeName('us', 'shop', 'data'));
    assert.equal(networkName('eu', 'shop'), 'wharf_eu_shop');
    assert.notEqual(networkName('eu', 'shop'), networkName('us', 'shop'));
    assert.equal(legacyNetworkName('shop'), 'wharf-shop');
  });

  test('the claim marker is named after the region only', () => {
    assert.equal(claimMarkerName('eu'), 'wharf_eu_OWNER');
  });
});

describe('Docker object ownership', () => {
  test('a volume with this owner\'s labels is no conflict', () => {
    const name = volumeName('eu', 'shop', 'data');
    assert.equal(volumeConflict(name, volumeLabels(owner, 'shop', 'data'), owner, 'shop', 'data'), undefined);
  });

  test('a volume of another project, volume, region or instance is a conflict naming whose it is', () => {
    const name = volumeName('eu', 'rsv', 'x-data');
    const cases = [
      { labels: volumeLabels(owner, 'rsv-x', 'data'), names: ['io.wharf.project=rsv-x', 'io.wharf.volume=data'] },
      { labels: volumeLabels({ ...owner, region: 'us' }, 'rsv', 'x-data'), names: ['io.wharf.region=us'] },
      { labels: volumeLabels({ ...owner, instanceId: 'ffffff' }, 'rsv', 'x-data'), names: ['io.wharf.instance=ffffff'] },
    ];
    for (const { labels, names } of cases) {
      const conflict = volumeConflict(name, labels, owner, 'rsv', 'x-data');
      assert.ok(conflict?.includes(name), `the message names the volume: ${conflict}`);
      for (const label of names) assert.ok(conflict?.includes(label), `the message names ${label}: ${conflict}`);
    }
  });

  test('an unlabelled volume (made by hand, or by Docker on a bare mount) is a conflict', () => {
    const conflict = volumeConflict('wharf_eu_shop_data', null, owner, 'shop', 'data');
    assert.ok(conflict?.includes('io.wharf.instance=(none)'), `the message says the labels are missing: ${conflict}`);
  });

  test('objects without an instance label are legacy and adopted; another instance\'s are not', () => {
    assert.equal(isOwnedBy({ [LABEL.region]: 'eu' }, owner.instanceId), true);
    assert.equal(isOwnedBy({ [LABEL.instance]: owner.instanceId }, owner.instanceId), true);
    assert.equal(isOwnedBy({ [LABEL.instance]: 'ffffff' }, owner.instanceId), false);
  });
});
