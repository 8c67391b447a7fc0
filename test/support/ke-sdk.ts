import { after, before } from 'node:test';
import { startWharf, type TestWharf } from './wharf.js';

// Requests exactly as the public KE Go SDK (ke-sdk-go 0.1.0: sdk/microservice, sdk/configmap,
// sdk/volume over sdk/rpc) sends them: its rpc.Call sends every bodiless call as an empty form
// post, and its CallWithJson marshals the SDK's output types, which never omit zero values
// (null lists, "" strings, zero times, `status: {}`).

export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** proto.Container as json.Marshal writes it when only name, image and envs are set. */
export function goContainer(name: string, image: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, image, workingDir: '', command: null, args: null, volumeMounts: null, configs: null, envs: null, ...overrides };
}

/** proto.MicroService as json.Marshal writes it for a create. */
export function goService(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    appName: '',
    projectName: '',
    name,
    status: {},
    pods: null,
    type: 'stateless',
    resourceSpec: '1U1G',
    instanceNumber: 2,
    ports: [{ port: 80, protocol: 'TCP' }],
    containers: [goContainer('main', 'nginx:1', { command: ['/bin/sh'], args: ['-c', 'sleep 1000'], envs: [{ name: 'MODE', value: 'prod' }] }), goContainer('side', 'busybox:1')],
    creationTime: GO_ZERO_TIME,
    ...overrides,
  };
}

export interface SdkAnswer {
  status: number;
  body: any;
  headers: Record<string, unknown>;
}

/** One SDK call with `token`: rpc.Call (no body: an empty form post) or rpc.CallWithJson. */
export async function sdkCall(wharf: TestWharf, token: string, method: string, url: string, json?: unknown): Promise<SdkAnswer> {
  const response = await wharf.api.inject({
    method: method as 'GET',
    url,
    headers: {
      'x-auth-token': token,
      'user-agent': 'Golang qiniu/rpc package',
      ...(json === undefined ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' } : { 'content-type': 'application/json' }),
    },
    ...(json === undefined ? {} : { payload: JSON.stringify(json) }),
  });
  return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, headers: response.headers };
}

/** The hooks of an SDK test: a Wharf, and a token for `project` that `call` sends as the SDK does. */
export function useSdkWharf(project: string): { wharf: () => TestWharf; token: () => string; call: (method: string, url: string, json?: unknown) => Promise<SdkAnswer> } {
  let wharf: TestWharf | undefined;
  let token = '';
  before(async () => {
    wharf = await startWharf();
    token = (await wharf.request('POST', '/v1/tokens', { name: 'sdk', projects: [project] })).body.token;
  });
  after(async () => wharf?.stop());
  const started = (): TestWharf => {
    if (!wharf) throw new Error('the SDK test Wharf is not started');
    return wharf;
  };
  return { wharf: started, token: () => token, call: (method, url, json) => sdkCall(started(), token, method, url, json) };
}
