/**
 * EC2's client-token idempotency, in memory: the first request with a token is carried out and
 * its answer kept (an instance or an error alike); the same token with the same request gets that
 * answer again, even while the first is still running; the same token with a different request
 * fails with IdempotentParameterMismatch and changes nothing.
 */
export class IdempotentParameterMismatchError extends Error {
  constructor(token: string) {
    super(`client token ${token} was already used with a different request`);
    this.name = "IdempotentParameterMismatch";
  }
}

export class ClientTokens<T> {
  private readonly seen = new Map<string, { request: string; answer: Promise<T> }>();

  /** `request`: the request's content as stable text (stableJson), without the token. */
  once(token: string, request: string, run: () => Promise<T>): Promise<T> {
    const earlier = this.seen.get(token);
    if (earlier) {
      if (earlier.request !== request) return Promise.reject(new IdempotentParameterMismatchError(token));
      return earlier.answer;
    }
    const answer = run();
    this.seen.set(token, { request, answer });
    return answer;
  }
}
