import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * Fastify's request log lines, with reads at debug: GETs (health checks, dashboards polling a
 * service) are most of the traffic and tell an operator little, while every write and every
 * failure stays at info or above. Below info nothing is logged at all, at no cost per request.
 */
export class RequestLog extends LogController {
  constructor(private readonly level: { isLevelEnabled(level: string): boolean }) {
    super({ disableRequestLogging: !level.isLevelEnabled('info') });
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (!isRead(request)) super.incomingRequest(request, reply);
    else if (this.level.isLevelEnabled('debug')) request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error || !isRead(request) || reply.statusCode >= 500) super.requestCompleted(error, request, reply);
    else if (this.level.isLevelEnabled('debug')) reply.log.debug({ res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}

function isRead(request: FastifyRequest): boolean {
  return request.method === 'GET' || request.method === 'HEAD';
}
