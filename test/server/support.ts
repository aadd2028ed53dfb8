/**
 * Shared set-up for the reference server tests: one server per test file,
 * harness clients for the demo clients, and the validation core applied to
 * every response the server emits.
 */
import { afterAll, beforeAll, expect } from '@jest/globals';
import { createReferenceServer, type ReferenceServer, type ReferenceServerConfig } from '../../src/server';
import { tokenEndpoint, type ClientOptions, type TokenEndpointClient, type TokenEndpointOptions } from '../../src/harness';
import { formatProblems, validateTokenEndpointResponseAsync, type TokenEndpointExpectation } from '../../src/validate';

/** Starts a reference server before the file's tests and closes it after, even when tests fail. */
export function useReferenceServer(config: ReferenceServerConfig | (() => Promise<ReferenceServerConfig>) = {}): { readonly server: ReferenceServer } {
  let server: ReferenceServer | undefined;
  beforeAll(async () => {
    server = await createReferenceServer(typeof config === 'function' ? await config() : config);
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get server() {
      if (!server) throw new Error('reference server not started');
      return server;
    },
  };
}

/** Harness options for one of the server's clients, using its first registered method. */
export function clientOptions(server: ReferenceServer, id: string, overrides: Partial<ClientOptions> = {}): ClientOptions {
  const client = server.clients[id];
  if (!client) throw new Error(`no client ${id}`);
  return {
    id,
    // A public client (RFC 6749 §2.1) authenticates with none: its client_id alone.
    auth: client.publicClient ? 'none' : (client.authMethods[0] as ClientOptions['auth']),
    ...(client.secret !== undefined ? { secret: client.secret } : {}),
    ...(client.privateJwk !== undefined ? { privateKey: client.privateJwk } : {}),
    ...overrides,
  };
}

export function clientFor(server: ReferenceServer, id: string, options: Omit<TokenEndpointOptions, 'client'> & { client?: Partial<ClientOptions> } = {}): TokenEndpointClient {
  const { client, ...rest } = options;
  return tokenEndpoint(server.tokenEndpoint, { ...rest, client: clientOptions(server, id, client) });
}

/** RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E. */
export const ERROR_DESCRIPTION_CHARS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * Asserts the response is valid for the contract (validation core) and meets
 * the expectation; an error's description must use only the RFC 6749 §5.2
 * characters.
 */
export async function expectContract(response: unknown, expectation: TokenEndpointExpectation): Promise<void> {
  const result = await validateTokenEndpointResponseAsync(response, expectation);
  if (!result.ok) throw new Error(`response breaks the contract:\n${formatProblems(result.problems)}\n${describe(response)}`);
  const body = (response as { body?: { error_description?: unknown } }).body;
  if (body && typeof body.error_description === 'string') expect(body.error_description).toMatch(ERROR_DESCRIPTION_CHARS);
}

export async function expectError(response: unknown, error: string, status: 400 | 401 = 400): Promise<void> {
  await expectContract(response, { status, error });
}

function describe(response: unknown): string {
  const res = response as { status?: number; body?: unknown; headers?: unknown };
  return JSON.stringify({ status: res.status, body: res.body }).replace(/"access_token":"[^"]+"/, '"access_token":"…"');
}
