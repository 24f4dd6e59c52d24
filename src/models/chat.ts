/**
 * The OpenAI-compatible chat model (`LLM_BASE_URL`, `LLM_API_KEY`, `LLM_MODEL`; SPEC 15), asked for
 * JSON: `POST {base}/chat/completions` with `response_format: {type: "json_object"}`, the answer read
 * from `choices[0].message.content`. Text that is not JSON (fences around it are tolerated) is an
 * error saying so, never a guess.
 */
import { z } from 'zod';
import type { LlmSettings } from '../config.js';
import { AppError } from '../errors.js';
import { postJson, type ModelEndpoint } from './openai-http.js';

export interface ChatMessage {
  readonly role: 'system' | 'user';
  readonly content: string;
}

/** Asks the model and answers the JSON value it wrote. */
export type ChatJson = (messages: readonly ChatMessage[]) => Promise<unknown>;

const answerSchema = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

/** Longest piece of a non-JSON answer quoted back in the error. */
const QUOTED = 200;

function notJson(content: string): AppError {
  return new AppError(
    'UNAVAILABLE',
    `the language model answered text that is not the JSON asked for: ${content.slice(0, QUOTED)}`,
    {
      setting: 'LLM_MODEL',
    },
  );
}

/** The JSON value of a model's text, with an optional ```json fence around it. */
export function parseModelJson(content: string): unknown {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(content);
  try {
    return JSON.parse(fenced?.[1] ?? content);
  } catch {
    throw notJson(content);
  }
}

/**
 * A ChatJson for the configured model.
 * @example await createChat({ baseUrl: 'http://127.0.0.1:11434/v1', apiKey: undefined, model: 'qwen2.5' })([...])
 */
export function createChat(
  settings: LlmSettings,
  endpoint: Partial<Pick<ModelEndpoint, 'attempts' | 'backoffMs' | 'timeoutMs'>> = {},
): ChatJson {
  const target: ModelEndpoint = {
    baseUrl: settings.baseUrl,
    apiKey: settings.apiKey,
    setting: 'LLM_BASE_URL',
    timeoutMs: 120_000,
    ...endpoint,
  };
  return async (messages) => {
    const answer = await postJson(target, 'chat/completions', {
      model: settings.model,
      messages,
      temperature: 0,
      response_format: { type: 'json_object' },
    });
    const parsed = answerSchema.safeParse(answer);
    if (!parsed.success) throw notJson(JSON.stringify(answer));
    return parseModelJson(parsed.data.choices[0]?.message.content ?? '');
  };
}
