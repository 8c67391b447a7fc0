/** A pod's usage as every runtime reports it: the API's schema (model/stats.ts) is the type. */
export type { ContainerStats, NetworkStats, PodStats } from '../model/stats.js';
