/**
 * What the indexer reads of session messages, declared on the indexer's side so that it imports no
 * session internals: src/sessions implements it (`indexedMessages`) and services.ts wires it in.
 */
import type { MessageSource } from './records.js';

/** A message of a session's message log with its id. */
export interface IdentifiedMessage {
  readonly id: string;
  readonly message: MessageSource;
}

export interface SessionMessageSource {
  /** One stored message, live or archived; null if there is none. */
  message(account_id: string, session_id: string, message_id: string): Promise<MessageSource | null>;
  /**
   * The messages in the text of a session's message log (the live one or an archive's), in order;
   * lines that hold no message are skipped. `where` names the log in warnings.
   */
  messagesIn(text: string, where: string): IdentifiedMessage[];
}
