import { registerCallbackRoute } from './lib/jobs/callback';
import { attachJobAsr } from './lib/jobs/job-asr';
import { DEFAULT_POLL_MS } from './lib/jobs/schedule';
import type { Node, NodeAPI, SisUserDef } from './lib/red/types';
import { UserNode } from './lib/red/user-node';
import { TRANSCRIBER_FORMATS, TRANSCRIBER_PROPERTIES } from './lib/service/formats';

export = function register(RED: NodeAPI): void {
    function SisJobAsr(this: Node, def: SisUserDef & Record<string, unknown>): void {
        RED.nodes.createNode(this, def);
        const user = new UserNode(RED, this, def.config);
        user.useFields(def);
        attachJobAsr(RED, user, { ...def });
    }
    registerCallbackRoute(RED);
    RED.nodes.registerType('sis-job-asr', SisJobAsr, {
        settings: {
            sisJobAsrProperties: { value: [...TRANSCRIBER_PROPERTIES], exportable: true },
            sisJobAsrFormats: { value: [...TRANSCRIBER_FORMATS], exportable: true },
            // Base interval between queries of a job, in ms, when the node sets none.
            sisJobAsrPollMs: { value: DEFAULT_POLL_MS, exportable: false },
        },
    });
};
