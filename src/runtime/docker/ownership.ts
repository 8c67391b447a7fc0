import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { statusOf } from './client.js';
import { createPulling } from './images.js';
import { claimMarkerName, LABEL, type Labels, type Owner } from './labels.js';

/** Another Wharf instance holds this region of the engine: this one must touch nothing in it. */
export class RegionClaimedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegionClaimedError';
  }
}

export interface Claim extends Owner {
  /** The marker is a container of this image (any image will do: it never runs). */
  sandboxImage: string;
  /** The engine's address, for the message. */
  address: string;
}

/**
 * Makes this Wharf the one owner of its region on the engine, before it lists, adopts or removes
 * anything there. The claim is a container created and never started, named after the region:
 * names are unique on an engine, so of two Wharfs claiming at once exactly one creates it. It
 * outlives restarts (the instance id is kept in the store, so a restarted Wharf finds its own).
 * Whether the Wharf holding a claim still runs cannot be told from here, so the claim of one that
 * is gone for good blocks too, until an operator removes the marker: safe by default.
 */
export async function claimRegion(docker: Docker, claim: Claim): Promise<void> {
  const name = claimMarkerName(claim.region);
  try {
    await createPulling(docker, {
      name,
      Image: claim.sandboxImage,
      Labels: markerLabels(claim),
      HostConfig: { NetworkMode: 'none' },
    });
    return;
  } catch (error) {
    if (statusOf(error) !== 409) throw error; // 409: the marker exists; whose is it?
  }
  const labels = (await docker.getContainer(name).inspect()).Config.Labels ?? {};
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
    `for good, release its claim with \`docker rm ${name}\` (its containers stay, labelled as its own).`
  );
}
