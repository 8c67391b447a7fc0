import type { Command } from 'commander';
import { registerApply } from './apply.js';
import { registerRollout } from './rollout.js';

/** Deploying from a file and following it: `apply`, `diff` and `rollout`. */
export function registerDeploy(program: Command): void {
  registerApply(program);
  registerRollout(program);
}
