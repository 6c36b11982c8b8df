/**
 * The SDK's SigV4 auth builds a new `SignatureV4` for every request, copying the client's
 * whole resolved configuration into it (`resolveAwsSdkSigV4Config` in @aws-sdk/core): about
 * 15 µs of CPU per call, measured side by side by tests/bench (4 calls per exchange). For a
 * client with one region and one service every one of those signers is built from the same
 * values once the first request has fixed `signingRegion` and `signingName`, so the first
 * is kept. It still asks the client's credential provider at every signature, so refreshed
 * credentials are used as before. A failed build is not kept.
 */
interface SigningClient {
  config: { signer: (authScheme?: never) => Promise<unknown> };
}

export const reuseSigner = <Client>(client: Client): Client => {
  const { config } = client as unknown as SigningClient;
  const build = config.signer;
  let signer: Promise<unknown> | undefined;
  config.signer = (authScheme) => {
    signer ??= build(authScheme).catch((error: unknown) => {
      signer = undefined;
      throw error;
    });
    return signer;
  };
  return client;
};
