// Sends recognised sentences in the node's output mode and shows the outcome in the status.
import { type OutputMode, type ResultMeta, type Sentence, sentenceMessages, singleMessage } from '../red/sentences';
import { type SubtitleOptions, type SubtitleSource, subtitleFilename, subtitleMessage } from '../red/subtitles';
import type { NodeAPI, NodeMessage, SendFn } from '../red/types';
import type { UserNode } from '../red/user-node';

/** For the subtitle outputs: what the file is named after, and how cues are laid out. */
export interface SubtitleDelivery {
    source?: SubtitleSource;
    options: SubtitleOptions;
}

/** Sends the sentences in the node's output mode and shows the outcome. */
export function deliver(
    RED: NodeAPI,
    user: UserNode,
    send: SendFn,
    msg: NodeMessage,
    sentences: Sentence[],
    meta: ResultMeta,
    output: OutputMode,
    subtitles: SubtitleDelivery = { options: {} },
): void {
    if (output === 'single') {
        send(singleMessage(msg, sentences, meta));
    } else if (output === 'srt' || output === 'vtt') {
        const filename = subtitleFilename(subtitles.source, output);
        send(subtitleMessage(msg, sentences, meta, output, filename, subtitles.options));
    } else if (sentences.length > 0) {
        send([sentenceMessages(msg, sentences, meta, (x) => RED.util.cloneMessage(x))]);
    }
    if (sentences.length === 0) user.status.succeed('no-speech');
    else user.status.succeed('sentences', { count: sentences.length });
}
