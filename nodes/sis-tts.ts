import type { Node, NodeAPI, SisUserDef } from './lib/red/types';
import { UserNode } from './lib/red/user-node';
import { RTTS_LONG_TEXT_VOICES } from './lib/service/limits';
import { TTS_AUDIO_FORMATS, TTS_VOICES } from './lib/service/voices';
import { attachTts } from './lib/tts/tts';

interface TtsDef extends SisUserDef {
    property?: string;
    audio_format?: string;
    sample_rate?: string;
    speed?: string | number;
    pitch?: string | number;
    volume?: string | number;
    mode?: string;
    concurrency?: string | number;
    cache?: string;
    cacheSize?: string | number;
    cacheDir?: string;
}

export = function register(RED: NodeAPI): void {
    function SisTts(this: Node, def: TtsDef): void {
        RED.nodes.createNode(this, def);
        const user = new UserNode(RED, this, def.config);
        user.useFields(def);
        attachTts(RED, user, { ...def });
    }
    RED.nodes.registerType('sis-tts', SisTts, {
        settings: {
            // What the editor needs to offer only valid choices.
            sisTtsVoices: {
                value: TTS_VOICES.map((v) => ({
                    property: v.property,
                    name: v.name,
                    premium: v.premium,
                    sampleRates: [...v.sampleRates],
                    pitch: v.pitch,
                    ssml: v.ssml,
                    longText: RTTS_LONG_TEXT_VOICES.has(v.property),
                })),
                exportable: true,
            },
            sisTtsFormats: { value: [...TTS_AUDIO_FORMATS], exportable: true },
        },
    });
};
