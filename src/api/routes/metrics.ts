import type { Api, ApiContext } from '../context.js';
import { SSE_CONTENT_TYPE } from '../sse.js';

/**
 * `GET /metrics` in Prometheus' text format (admin token when authentication is on: auth.ts), and
 * the hook that counts every answer by its route pattern, never the raw URL, so labels stay few.
 */
export function metricsRoutes(api: Api, { metrics }: ApiContext): void {
  // One callback-style hook, one label object per answer: this runs on every request.
  api.addHook('onResponse', (request, reply, done) => {
    // A watch that ended: its length is no request's latency.
    if (String(reply.raw.getHeader('content-type')).startsWith(SSE_CONTENT_TYPE)) return done();
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });

  api.get(
    '/metrics',
    {
      schema: {
        tags: ['system'],
        summary: 'Prometheus metrics (text format 0.0.4); the admin token is required when authentication is on',
      },
    },
    async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    },
  );
}
