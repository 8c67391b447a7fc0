import type Docker from 'dockerode';
import { engineMessage, statusOf } from './client.js';

/** An image could not be pulled; `message` is the registry's or engine's reason. */
export class ImagePullError extends Error {
  constructor(readonly image: string, cause: string) {
    super(`failed to pull image "${image}": ${cause}`);
    this.name = 'ImagePullError';
  }
}

/** Told of each pull an engine call needs: the pod's events say what the engine pulled and how long it took. */
export interface PullReport {
  pulling(image: string): void;
  pulled(image: string, elapsedMs: number): void;
}

/** True when the engine refused to create a container because its image is not on the host. */
export function isMissingImage(error: unknown): boolean {
  return statusOf(error) === 404 && /no such image/i.test(engineMessage(error));
}

/**
 * Pulls an image, resolving once it is on the host. The engine answers a pull with a stream of
 * progress lines and reports most failures (unknown tag, registry unreachable) inside that stream
 * rather than as an HTTP error, so every line is read for an `error`.
 */
export async function pullImage(docker: Docker, image: string, report?: PullReport): Promise<void> {
  const started = Date.now();
  report?.pulling(image);
  let progress: NodeJS.ReadableStream;
  try {
    progress = await docker.pull(image);
  } catch (error) {
    throw new ImagePullError(image, engineMessage(error));
  }
  const lines = await new Promise<Array<{ error?: string }>>((resolve, reject) => {
    docker.modem.followProgress(progress, (error: Error | null, output: Array<{ error?: string }>) =>
      error ? reject(new ImagePullError(image, error.message)) : resolve(output),
    );
  });
  const failure = lines.find((line) => line.error);
  if (failure) throw new ImagePullError(image, failure.error!);
  report?.pulled(image, Date.now() - started);
}

/** The user an image runs its process as (`Config.User`, empty for root), pulling the image if it is missing. */
export async function imageUser(docker: Docker, image: string, report?: PullReport): Promise<string> {
  let inspected = await inspectImage(docker, image);
  if (!inspected) {
    await pullImage(docker, image, report);
    inspected = await docker.getImage(image).inspect();
  }
  return inspected.Config.User ?? '';
}

/** Creates a container, pulling its image first when the host does not have it. */
export async function createPulling(docker: Docker, options: Docker.ContainerCreateOptions, report?: PullReport): Promise<Docker.Container> {
  try {
    return await docker.createContainer(options);
  } catch (error) {
    if (!isMissingImage(error)) throw error;
    await pullImage(docker, options.Image!, report);
    return docker.createContainer(options);
  }
}

/** Whether the engine has the image (no pull). */
export async function hasImage(docker: Docker, image: string): Promise<boolean> {
  return (await inspectImage(docker, image)) !== undefined;
}

/** The engine's description of an image, or undefined when it does not have it. */
async function inspectImage(docker: Docker, image: string): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(image).inspect();
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw error;
  }
}
