import { attachFlashAsr } from './lib/recognition/flash-asr';
import type { Node, NodeAPI, SisUserDef } from './lib/red/types';
import { UserNode } from './lib/red/user-node';
import { FLASH_FORMATS, FLASH_PROPERTIES } from './lib/service/formats';

export = function register(RED: NodeAPI): void {
    function SisFlashAsr(this: Node, def: SisUserDef & Record<string, unknown>): void {
        RED.nodes.createNode(this, def);
        const user = new UserNode(RED, this, def.config);
        user.useFields(def);
        attachFlashAsr(RED, user, { ...def });
    }
    RED.nodes.registerType('sis-flash-asr', SisFlashAsr, {
        settings: {
            sisFlashAsrProperties: { value: [...FLASH_PROPERTIES], exportable: true },
            sisFlashAsrFormats: { value: ['auto', ...FLASH_FORMATS], exportable: true },
        },
    });
};
