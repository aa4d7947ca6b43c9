export { DEFAULT_GEMINI_EMBEDDING_DIMENSIONS, DEFAULT_GEMINI_MODEL } from './gemini-replies.js';
export { DEFAULT_OLLAMA_MODEL } from './ollama-replies.js';
export { DEFAULT_EMBEDDING_DIMENSIONS, SIMULATED_OPENAI_MODELS, simulatedEmbedding } from './openai-replies.js';
export { DEFAULT_RATE_LIMITS, type SimulatedRateLimits } from './rate-limit-headers.js';
export type { RealisticProfileOptions } from './realistic-profile.js';
export { REALISTIC_MODELS } from './realistic-profile.js';
export type { ScriptedReply, SimulatedToolCall, SimulatedUsage } from './scripted-reply.js';
export {
  DEFAULT_ANTHROPIC_MODEL,
  DEFAULT_OPENAI_MODEL,
  DEFAULT_REPLY_TEXT,
  DEFAULT_USAGE,
  splitIntoChunks,
} from './scripted-reply.js';
export { SeededRandom } from './seeded-random.js';
export type { ReceivedRequest, Simulator, SimulatorOptions } from './server.js';
export { SIMULATOR_REPLY_HEADER, startSimulator } from './server.js';
