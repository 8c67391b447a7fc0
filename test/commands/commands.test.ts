import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ServiceCreate } from '../../src/model/service.js';
import { Commands } from '../../src/commands/commands.js';
import { WharfError } from '../../src/domain/errors.js';
import type { RegionPolicy } from '../../src/domain/validation.js';
import { regionPolicy } from '../../src/regions.js';
import { loadConfig } from '../../src/config.js';
import { migrateToLatest } from '../../src/store/migrations.js';
import { Store } from '../../src/store/store.js';
import { TokenStore } from '../../src/store/tokens.js';
import { openTestDatabase } from '../support/database.js';

const web: ServiceCreate = { name: 'web', type: 'stateless', resourceSpec: '1U1G', containers: [{ name: 'c', image: 'nginx:1.27' }] };

describe('commands: the time and ids of a change come from their sources', () => {
  let dataDir: string;
  let store: Store;
  let drop: () => Promise<void>;
  let commands: Commands;
  let policy: RegionPolicy;
  let clock = Date.parse('2026-03-01T12:00:00Z');
  let uids = 0;
  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'wharf-commands-'));
    const opened = await openTestDatabase(dataDir);
    drop = opened.drop;
    await migrateToLatest(opened.db);
    store = new Store(opened.db, { volumeDefaults: () => ({ sizeGi: 1, storage: { storageType: 'local', fsType: 'ext4' } }) });
    commands = new Commands(store, new TokenStore(opened.db), { now: () => new Date(clock), uid: () => `uid-${++uids}` });
    policy = regionPolicy(loadConfig({}).regions[0]!, 'simulated');
  });
  after(async () => {
    await store.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stamps an app and its services with the clock, and each service with a new uid', async () => {
    const ref = { region: 'local', project: 'p', app: 'shop' };
    await commands.createApp(ref, [web, { ...web, name: 'api' }], policy);
    const services = await store.listServices(ref);
    assert.deepEqual(services.map((service) => [service.key.service, service.uid, service.creationTime]).sort(), [
      ['api', 'uid-2', '2026-03-01T12:00:00.000Z'],
      ['web', 'uid-1', '2026-03-01T12:00:00.000Z'],
    ]);
    clock += 60_000;
    const scaled = await commands.changeService({ ...ref, service: 'web' }, policy, (current, now) => ({ state: { ...current, instanceNumber: 3, updateTime: now } }));
    assert.equal(scaled.updateTime, '2026-03-01T12:01:00.000Z');
  });

  it("refuses two services of one name in an app, naming the second one's field; nothing is created", async () => {
    const ref = { region: 'local', project: 'p', app: 'twice' };
    await assert.rejects(commands.createApp(ref, [web, web], policy), (error: WharfError) => error.code === 'InvalidArgs' && /microservices\[1\]\.name "web"/.test(error.message));
    await assert.rejects(store.getApp(ref), /does not exist/);
  });

  it('revoking a token that does not exist is 404 NotFound', async () => {
    await assert.rejects(commands.revokeToken('nope'), (error: WharfError) => error.code === 'NotFound');
  });
});
