import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { claimMarkerName, LABEL, type Labels, type Owner } from './labels.js';

/** Another Wharf instance holds this region of the engine: this one must touch nothing in it. */
export class RegionClaimedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegionClaimedError';
  }
}

export interface Claim extends Owner {
  /** The engine's address, for the message. */
  address: string;
}

/**
 * Makes this Wharf the one owner of its region on the engine, before it lists, adopts or removes
 * anything there. The claim is an empty named volume, named after the region: the engine creates a
 * volume name once and answers every later create with the volume it has, labels included, so of
 * two Wharfs claiming at once exactly one finds its own labels. A volume needs no image, so an
 * engine that can pull nothing (offline) can still be claimed. It outlives restarts (the instance
 * id is kept in the store, so a restarted Wharf finds its own). Whether the Wharf holding a claim
 * still runs cannot be told from here, so the claim of one that is gone for good blocks too, until
 * an operator removes the marker: safe by default.
 */
export async function claimRegion(docker: Docker, claim: Claim): Promise<void> {
  const name = claimMarkerName(claim.region);
  await docker.createVolume({ Name: name, Labels: markerLabels(claim) });
  const labels: Labels = (await docker.getVolume(name).inspect()).Labels ?? {};
  if (labels[LABEL.instance] !== claim.instanceId) throw new RegionClaimedError(claimedMessage(name, labels, claim));
}

function markerLabels(claim: Claim): Labels {
  return {
    [LABEL.region]: claim.region,
    [LABEL.instance]: claim.instanceId,
    [LABEL.role]: 'owner',
    [LABEL.host]: hostname(),
    [LABEL.claimedAt]: new Date().toISOString(),
  };
}

function claimedMessage(name: string, labels: Labels, claim: Claim): string {
  const other = labels[LABEL.instance] ?? '(unlabelled)';
  return (
    `region "${claim.region}" of the Docker engine at ${claim.address} belongs to Wharf instance ${other} ` +
    `(host ${labels[LABEL.host] ?? 'unknown'}, claimed at ${labels[LABEL.claimedAt] ?? 'unknown'}); ` +
    `this Wharf (instance ${claim.instanceId}) touches nothing there. Two Wharfs must not share a region ` +
    `of one engine: give this one another region name, or another engine. If instance ${other} is gone ` +
    `for good, release its claim with \`docker volume rm ${name}\` (its containers stay, labelled as its own).`
  );
}
