import type { preValidationHookHandler } from 'fastify';
import type { Api } from './context.js';

/**
 * Runs `hook` before validation on every route whose requests carry a body (any method but GET
 * and HEAD), added from now on: reads, most of the traffic, skip it. Routes are given it as they
 * are added, so call this before the routes.
 */
export function beforeValidatingBodies(api: Api, hook: preValidationHookHandler): void {
  api.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.every((method) => method === 'GET' || method === 'HEAD')) return;
    const existing = route.preValidation ?? [];
    route.preValidation = [...(Array.isArray(existing) ? existing : [existing]), hook];
  });
}
