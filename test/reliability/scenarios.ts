// One scenario per node for the reliability suites: how to configure it, a good input, what a
// good outcome looks like, and the emulator routes its requests use.

import type { Emulator } from '../helpers/emulator';
import { fixture, transcript } from '../helpers/fixtures';

export interface Scenario {
    type: string;
    props: Record<string, unknown>;
    outputs: number;
    /** Emulator route that carries the main request (faults are injected there). */
    route: string;
    /** Whether the main request is a WebSocket session. */
    websocket: boolean;
    prepare(emu: Emulator): void;
    input(): Record<string, unknown>;
    /** Messages a good input yields on output 0. */
    expected: number;
}

const zh = fixture('zh_16k.wav');

export const SCENARIOS: Scenario[] = [
    {
        type: 'sis-short-asr',
        props: { property: 'chinese_16k_common', audio_format: 'auto', add_punc: 'yes' },
        outputs: 1,
        route: 'short-audio',
        websocket: false,
        prepare: (emu) => emu.transcripts.register(zh, transcript('zh_16k.wav')),
        input: () => ({ payload: zh }),
        expected: 1,
    },
    {
        type: 'sis-flash-asr',
        props: {
            property: 'chinese_16k_conversation',
            audio_format: 'auto',
            add_punc: 'yes',
            stagingPrefix: 'node-red/',
        },
        outputs: 1,
        route: 'flash',
        websocket: false,
        prepare: (emu) => emu.transcripts.register(zh, transcript('zh_16k.wav')),
        input: () => ({ payload: zh }),
        expected: 2,
    },
];
