/** A pod's usage as every runtime reports it: the API's schema (api/schemas/stats.ts) is the type. */
export type { ContainerStats, NetworkStats, PodStats } from '../api/schemas/stats.js';
