// Sends recognised sentences in the node's output mode and shows the outcome in the status.
import { type OutputMode, type ResultMeta, type Sentence, sentenceMessages, singleMessage } from '../red/sentences';
import type { NodeAPI, NodeMessage, SendFn } from '../red/types';
import type { UserNode } from '../red/user-node';

/** Sends the sentences in the node's output mode and shows the outcome. */
export function deliver(
    RED: NodeAPI,
    user: UserNode,
    send: SendFn,
    msg: NodeMessage,
    sentences: Sentence[],
    meta: ResultMeta,
    output: OutputMode,
): void {
    if (output === 'single') {
        send(singleMessage(msg, sentences, meta));
    } else if (sentences.length > 0) {
        send([sentenceMessages(msg, sentences, meta, (x) => RED.util.cloneMessage(x))]);
    }
    if (sentences.length === 0) user.status.succeed('no-speech');
    else user.status.succeed('sentences', { count: sentences.length });
}
