import type { Node, NodeAPI, SisUserDef } from './lib/red/types';
import { UserNode } from './lib/red/user-node';
import { VOCABULARY_RULES } from './lib/service/vocabulary';
import { attachVocabulary } from './lib/vocabulary/vocabulary';

interface VocabularyDef extends SisUserDef {
    action?: string;
    vocabulary_id?: string;
}

export = function register(RED: NodeAPI): void {
    function SisVocabulary(this: Node, def: VocabularyDef): void {
        RED.nodes.createNode(this, def);
        const user = new UserNode(RED, this, def.config);
        attachVocabulary(user, { action: def.action, vocabulary_id: def.vocabulary_id });
    }
    RED.nodes.registerType('sis-vocabulary', SisVocabulary, {
        settings: {
            sisVocabularyRules: { value: VOCABULARY_RULES, exportable: true },
        },
    });
};
