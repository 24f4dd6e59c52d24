/**
 * New messages from parsed request bodies (SPEC 8.1): the actor (`role_id`, by the caller's rules),
 * the `peer_id` label, the parts and the time. A batch is built, and so validated, whole before the
 * caller writes any of it.
 */
import { randomBytes } from 'node:crypto';
import { AppError, isAppError } from '../errors.js';
import type { RequestContext } from '../policy/index.js';
import { normaliseParts } from './meta.js';
import { resolveRoleId, type RoleIdInput } from './role-id.js';
import type { AddMessageBody, StoredMessage } from './schema.js';

/** What the role_id rules need besides the request: the auth mode and the registered-user lookup. */
export type MessageRules = Pick<RoleIdInput, 'authMode' | 'isRegisteredUser'>;

/** The message `body` becomes when stored; throws INVALID_ARGUMENT under the role_id rules. */
export async function newMessage(
  rules: MessageRules,
  ctx: RequestContext,
  session_id: string,
  body: AddMessageBody,
): Promise<StoredMessage> {
  const role_id = await resolveRoleId({
    ctx,
    authMode: rules.authMode,
    body,
    // Parsing keeps a `role_id: null` the body sent and adds none it did not send.
    bodyHasRoleId: body.role_id !== undefined,
    isRegisteredUser: rules.isRegisteredUser,
  });
  return {
    id: `msg_${randomBytes(16).toString('hex')}`,
    role: body.role,
    role_id,
    ...(body.peer_id == null ? {} : { peer_id: body.peer_id }),
    parts: normaliseParts(session_id, body),
    created_at: new Date(body.created_at ?? Date.now()).toISOString(),
    actor_context: { user_id: ctx.effective.user_id, agent_id: ctx.effective.agent_id },
  };
}

/**
 * The messages of a `messages/batch` body, in order; the first one refused by the role_id rules
 * throws INVALID_ARGUMENT with its `index` in the details.
 */
export async function newMessages(
  rules: MessageRules,
  ctx: RequestContext,
  session_id: string,
  messages: readonly AddMessageBody[],
): Promise<StoredMessage[]> {
  const built: StoredMessage[] = [];
  for (const [index, body] of messages.entries()) {
    try {
      built.push(await newMessage(rules, ctx, session_id, body));
    } catch (error) {
      if (isAppError(error)) throw new AppError(error.code, error.message, { ...error.details, index });
      throw error;
    }
  }
  return built;
}
