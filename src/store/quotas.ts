import type { QuotaLimits } from '../model/quota.js';
import { placeholder, reusableQuery, type QueryRunner } from './reusable-query.js';
import type { StoreAccess } from './store-access.js';

/** The quotas the admin set on projects; a project without one has its region's `projectQuota`. */
export class QuotaStore {
  /** Compiled once: every reconcile reads its project's quota, and building the query cost more than running it. */
  private readonly limitsQuery;

  constructor(private readonly access: StoreAccess, private readonly regionDefault: (region: string) => QuotaLimits) {
    const [region, project] = ['region', 'project'].map(placeholder);
    this.limitsQuery = reusableQuery<{ limits: string }, 'region' | 'project'>(
      access.db.selectFrom('project_quotas').select('limits').where('region', '=', region!).where('project', '=', project!),
    );
  }

  /** The limits that hold for a project: its own when the admin set them, else the region's default. */
  async limitsOf(region: string, project: string, db: QueryRunner = this.access.db): Promise<{ limits: QuotaLimits; own: boolean }> {
    const [row] = await this.limitsQuery(db, { region, project });
    return row ? { limits: JSON.parse(row.limits) as QuotaLimits, own: true } : { limits: this.regionDefault(region), own: false };
  }

  async set(region: string, project: string, limits: QuotaLimits, now: string): Promise<void> {
    await this.access.write([], (trx) =>
      trx
        .insertInto('project_quotas')
        .values({ region, project, limits: JSON.stringify(limits), updated_at: now })
        .onConflict((conflict) => conflict.columns(['region', 'project']).doUpdateSet({ limits: JSON.stringify(limits), updated_at: now }))
        .execute(),
    );
  }

  /** Back to the region's default. */
  async clear(region: string, project: string): Promise<void> {
    await this.access.write([], (trx) => trx.deleteFrom('project_quotas').where('region', '=', region).where('project', '=', project).execute());
  }
}
