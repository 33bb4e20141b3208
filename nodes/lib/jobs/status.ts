// The status of a job node: how many jobs are pending and the oldest one's age, else the last
// outcome. Keys live in the config node's catalog, like every status of the package.
import { formatBytes } from '../red/i18n';
import { shortReason } from '../red/node-io';
import type { Node } from '../red/types';

const NS = 'sis-config.status.';

export type Translate = (key: string, subs?: Record<string, string | number>) => string;

/** A short age: "42 s", "7 min", "2 h 05 min" (units from the catalog). */
export function formatAge(ms: number, t: Translate): string {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return t(`${NS}age-seconds`, { n: s });
    const m = Math.floor(s / 60);
    if (m < 60) return t(`${NS}age-minutes`, { n: m });
    return t(`${NS}age-hours`, { h: Math.floor(m / 60), m: String(m % 60).padStart(2, '0') });
}

/** How often the age is refreshed: often while it counts seconds, rarely later. */
function refreshMs(ageMs: number): number {
    if (ageMs < 60_000) return 5_000;
    if (ageMs < 3600_000) return 30_000;
    return 60_000;
}

interface Shown {
    fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
    shape: 'dot' | 'ring';
    text: string;
}

function keyOf(shown: Shown | undefined): string {
    return shown ? `${shown.fill}/${shown.shape}/${shown.text}` : '';
}

export class JobStatus {
    private readonly pending = new Map<string, number>();
    private submitting = 0;
    private stage: 'staging' | 'requesting' = 'requesting';
    private stagingBytes?: number;
    private last?: Shown;
    private shownText?: string;
    private timer?: NodeJS.Timeout;
    private closed = false;

    constructor(
        private readonly node: Node,
        private readonly t: Translate,
        private readonly now: () => number = Date.now,
    ) {}

    /** A submission started (`staging` while a Buffer is uploaded). */
    beginSubmit(stage: 'staging' | 'requesting', bytes?: number): void {
        this.submitting++;
        this.stage = stage;
        this.stagingBytes = bytes;
        this.render();
    }

    setStage(stage: 'staging' | 'requesting'): void {
        this.stage = stage;
        this.render();
    }

    endSubmit(): void {
        this.submitting = Math.max(0, this.submitting - 1);
        this.render();
    }

    add(jobId: string, submittedAt: number): void {
        this.pending.set(jobId, submittedAt);
        this.render();
    }

    /** A job left: finished (`sentences` found), failed or was dropped. */
    remove(jobId: string, outcome?: { sentences: number } | { error: { code?: string } }): void {
        this.pending.delete(jobId);
        if (outcome && 'sentences' in outcome) {
            this.last =
                outcome.sentences === 0
                    ? { fill: 'green', shape: 'dot', text: this.t(`${NS}no-speech`) }
                    : { fill: 'green', shape: 'dot', text: this.t(`${NS}sentences`, { count: outcome.sentences }) };
        } else if (outcome) {
            this.last = { fill: 'red', shape: 'ring', text: shortReason(outcome.error.code ?? 'ERROR', this.t) };
        }
        this.render();
    }

    /**
     * A failure before any job existed: the input handler reports it and shows it as a red ring.
     * With jobs pending, the next refresh shows their count again.
     */
    failed(code: string): void {
        const last: Shown = { fill: 'red', shape: 'ring', text: shortReason(code, this.t) };
        this.last = last;
        // The handler's own report shows the red ring; this only keeps track of what is shown.
        this.shownText = this.pending.size === 0 ? keyOf(last) : undefined;
    }

    private oldest(): number | undefined {
        let oldest: number | undefined;
        for (const at of this.pending.values()) if (oldest === undefined || at < oldest) oldest = at;
        return oldest;
    }

    render(): void {
        if (this.closed) return;
        clearTimeout(this.timer);
        this.timer = undefined;
        let shown: Shown | undefined;
        const oldest = this.oldest();
        if (oldest !== undefined) {
            const age = this.now() - oldest;
            shown = {
                fill: 'blue',
                shape: 'dot',
                text: this.t(`${NS}jobs`, { count: this.pending.size, age: formatAge(age, this.t) }),
            };
            this.timer = setTimeout(() => this.render(), refreshMs(age));
            this.timer.unref?.();
        } else if (this.submitting > 0) {
            const size =
                this.stage === 'staging' && this.stagingBytes !== undefined ? formatBytes(this.stagingBytes) : '';
            shown = {
                fill: 'blue',
                shape: 'dot',
                text: size
                    ? this.t(`${NS}staging`, { size })
                    : this.t(`${NS}${this.stage === 'staging' ? 'staging-audio' : 'requesting'}`),
            };
        } else {
            shown = this.last;
        }
        const key = keyOf(shown);
        if (key === this.shownText) return;
        this.shownText = key;
        this.node.status(shown ? { fill: shown.fill, shape: shown.shape, text: shown.text } : {});
    }

    close(): void {
        this.closed = true;
        clearTimeout(this.timer);
        this.timer = undefined;
    }
}
