import { attachShortAsr } from './lib/recognition/short-asr';
import type { Node, NodeAPI, SisUserDef } from './lib/red/types';
import { UserNode } from './lib/red/user-node';
import { SHORT_AUDIO_FORMATS, SHORT_AUDIO_PROPERTIES } from './lib/service/formats';

interface ShortAsrDef extends SisUserDef {
    property?: string;
    audio_format?: string;
    add_punc?: string;
    digit_norm?: string;
    vocabulary_id?: string;
    need_word_info?: string;
    auto_language_detect?: string;
    output?: string;
}

export = function register(RED: NodeAPI): void {
    function SisShortAsr(this: Node, def: ShortAsrDef): void {
        RED.nodes.createNode(this, def);
        const user = new UserNode(RED, this, def.config);
        user.useFields(def);
        attachShortAsr(RED, user, { ...def });
    }
    RED.nodes.registerType('sis-short-asr', SisShortAsr, {
        settings: {
            sisShortAsrProperties: { value: [...SHORT_AUDIO_PROPERTIES], exportable: true },
            sisShortAsrFormats: { value: [...SHORT_AUDIO_FORMATS], exportable: true },
        },
    });
};
