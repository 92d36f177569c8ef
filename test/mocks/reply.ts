// What the chat mocks (OpenAI, its Responses API, Anthropic) say, whichever vendor's words they
// say it in: a deterministic echo, one weather tool call, and token counts.

/** The mocks' deterministic reply to a user text, as the pieces it streams in. */
export function replyPieces(userText: string, maxTokens: number | undefined): string[] {
  const pieces = `You said: ${userText}`.split(/(?=\s)/);
  return maxTokens === undefined ? pieces : pieces.slice(0, maxTokens);
}

/** The arguments of the weather tool call the mocks make, in the fragments they stream. */
export const WEATHER_ARGUMENT_PIECES = ['{"loca', 'tion": "Par', 'is"}'];

/** About four characters a token, as the vendors' tokenisers average for English. */
export function countTokens(value: unknown): number {
  return Math.ceil(JSON.stringify(value ?? "").length / 4);
}
