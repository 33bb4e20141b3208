import { FLASH_FORMATS, FLASH_PROPERTIES } from './lib/audio-format';
import { attachFlashAsr } from './lib/flash-asr';
import type { Node, NodeAPI, SisUserDef } from './lib/types';
import { UserNode } from './lib/user-node';

export = function register(RED: NodeAPI): void {
    function SisFlashAsr(this: Node, def: SisUserDef & Record<string, unknown>): void {
        RED.nodes.createNode(this, def);
        const user = new UserNode(RED, this, def.config);
        attachFlashAsr(RED, user, { ...def });
    }
    RED.nodes.registerType('sis-flash-asr', SisFlashAsr, {
        settings: {
            sisFlashAsrProperties: { value: [...FLASH_PROPERTIES], exportable: true },
            sisFlashAsrFormats: { value: ['auto', ...FLASH_FORMATS], exportable: true },
        },
    });
};
