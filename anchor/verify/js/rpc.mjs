// A chain reached over plain Ethereum JSON-RPC (only standard eth_* methods, DESIGN decision
// 8) with the Fetch API, so the same code runs in Node.js and in a browser.

/**
 * The chain could not answer (unreachable, an HTTP or JSON-RPC error, a reply that is not
 * JSON-RPC): the evidence is neither confirmed nor refuted, so the outcome is CANNOT VERIFY.
 */
export class ChainUnavailable extends Error {}

/**
 * A JSON-RPC client of `url`. `call(method, params)` returns the `result` member or throws
 * ChainUnavailable. Answers are kept per (method, params): a case bundle asks the same
 * questions for every record, and a chain's answer about a past block does not change.
 */
export function jsonRpcClient(url, { timeoutMs = 15000, fetchImpl = globalThis.fetch } = {}) {
  const answers = new Map();
  let id = 0;
  async function ask(method, params) {
    id += 1;
    let reply;
    try {
      const response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id, method, params }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok) throw new ChainUnavailable(`${method}: HTTP ${response.status} from ${url}`);
      reply = await response.json();
    } catch (error) {
      if (error instanceof ChainUnavailable) throw error;
      throw new ChainUnavailable(`${method}: ${url} could not be reached (${error.cause?.code ?? error.name}: ${error.message})`);
    }
    if (reply === null || typeof reply !== 'object' || reply.jsonrpc !== '2.0') throw new ChainUnavailable(`${method}: the reply from ${url} is not JSON-RPC 2.0`);
    if (reply.error !== undefined) throw new ChainUnavailable(`${method}: the chain answered error ${reply.error?.code}: ${reply.error?.message}`);
    if (!Object.hasOwn(reply, 'result')) throw new ChainUnavailable(`${method}: the reply from ${url} has no result`);
    return reply.result;
  }
  return {
    url,
    call(method, params) {
      const key = JSON.stringify([method, params]);
      if (!answers.has(key)) {
        const pending = ask(method, params);
        pending.catch(() => answers.delete(key)); // a failure is not remembered
        answers.set(key, pending);
      }
      return answers.get(key);
    },
  };
}

export const quantity = (n) => `0x${BigInt(n).toString(16)}`;
