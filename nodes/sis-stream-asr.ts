import type { Node, NodeAPI, SisUserDef } from './lib/red/types';
import { UserNode } from './lib/red/user-node';
import { RASR_FORMATS, RASR_PROPERTIES } from './lib/service/formats';
import { attachStreamAsr } from './lib/stream/stream-asr';

interface StreamAsrDef extends SisUserDef {
    mode?: string;
    property?: string;
    audio_format?: string;
    interim_results?: string;
    add_punc?: string;
    digit_norm?: string;
    need_word_info?: string;
    vad_head?: string | number;
    vad_tail?: string | number;
    max_seconds?: string | number;
    vocabulary_id?: string;
    idleTimeout?: string | number;
    maxSessions?: string | number;
    cue?: string;
    lineWidth?: string | number;
}

export = function register(RED: NodeAPI): void {
    function SisStreamAsr(this: Node, def: StreamAsrDef): void {
        RED.nodes.createNode(this, def);
        const user = new UserNode(RED, this, def.config);
        user.useFields(def);
        attachStreamAsr(RED, user, { ...def });
    }
    RED.nodes.registerType('sis-stream-asr', SisStreamAsr, {
        settings: {
            sisStreamAsrProperties: { value: [...RASR_PROPERTIES], exportable: true },
            sisStreamAsrFormats: { value: [...RASR_FORMATS], exportable: true },
            sisStreamAsrQueueSeconds: { value: 20, exportable: false },
            sisStreamAsrReconnects: { value: 5, exportable: false },
            sisStreamAsrCompactReplay: { value: true, exportable: false },
        },
    });
};
