/** The replica that runs a region's controller, as the API reports it. */
export interface LeaderInfo {
  replica: string;
  /** RFC 3339: when it took the lease. */
  since: string;
}

/**
 * Which replica runs the controller of each region (controller/leader-election.ts). Every replica
 * serves the API and observes the engines; only a region's leader changes anything on its engine.
 */
export interface Leadership {
  /** This replica's name (WHARF_REPLICA_ID). */
  readonly replica: string;
  /** Whether this replica leads the region now. */
  leads(region: string): boolean;
  /** Each region's leader as last seen (within one retry period), or null when none holds an unexpired lease. */
  leader(region: string): LeaderInfo | null;
}
