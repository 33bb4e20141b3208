import type { Node, NodeAPI, SisUserDef } from './lib/red/types';
import { UserNode } from './lib/red/user-node';
import { attachWyoming } from './lib/wyoming/wyoming';

interface WyomingDef extends SisUserDef {
    host?: string;
    port?: string | number;
    allow?: string;
    stt?: string | boolean;
    tts?: string | boolean;
    languages?: string;
    voices?: string;
    zeroconf?: string | boolean;
    maxConnections?: string | number;
}

export = function register(RED: NodeAPI): void {
    function SisWyoming(this: Node, def: WyomingDef): void {
        RED.nodes.createNode(this, def);
        const user = new UserNode(RED, this, def.config);
        attachWyoming(RED, user, { ...def });
    }
    RED.nodes.registerType('sis-wyoming', SisWyoming);
};
