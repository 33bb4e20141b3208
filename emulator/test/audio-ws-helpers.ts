// A small EmulatorContext for the audio and WebSocket suites.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTranscriptRegistry } from '../audio';
import type {
    EmulatorContext,
    EmulatorLimits,
    FaultController,
    FaultKind,
    FaultSpec,
    LogEntry,
    RequestLog,
    RouteName,
} from '../types';

export const FIXTURES = path.join(__dirname, '../../test/fixtures');

export function fixture(name: string): Buffer {
    return fs.readFileSync(path.join(FIXTURES, name));
}

export const FIXTURE_TRANSCRIPTS = JSON.parse(
    fs.readFileSync(path.join(FIXTURES, 'transcripts.json'), 'utf8'),
) as Record<string, string[]>;

class TestFaults implements FaultController {
    private items: { spec: FaultSpec; remaining: number }[] = [];
    add(spec: FaultSpec): void {
        this.items.push({ spec, remaining: spec.count ?? 1 });
    }
    take(route: RouteName, kinds?: readonly FaultKind[]): FaultSpec | undefined {
        const item = this.items.find(
            (f) =>
                f.remaining > 0 &&
                (f.spec.route === route || f.spec.route === '*') &&
                (!kinds || kinds.includes(f.spec.kind)),
        );
        if (!item) return undefined;
        item.remaining--;
        return item.spec;
    }
    list(): FaultSpec[] {
        return this.items.filter((f) => f.remaining > 0).map((f) => f.spec);
    }
    clear(): void {
        this.items = [];
    }
}

class TestLog implements RequestLog {
    private items: LogEntry[] = [];
    add(entry: LogEntry): void {
        this.items.push(entry);
    }
    entries(): LogEntry[] {
        return [...this.items];
    }
    clear(): void {
        this.items = [];
    }
}

export function testContext(limits: Partial<EmulatorLimits> = {}): EmulatorContext {
    return {
        clock: { now: () => Date.now() },
        account: {
            region: 'cn-north-4',
            projectId: '0123456789abcdef0123456789abcdef',
            domainId: 'd'.repeat(32),
            domainName: 'test-domain',
            userId: 'u'.repeat(32),
            username: 'tester',
            password: 'secret-password',
            ak: 'AKTEST',
            sk: 'SKTEST',
            bucket: 'sis-audio',
        },
        limits: {
            jobDelayMs: 100,
            resultTtlMs: 3_600_000,
            wsIdleMs: 20_000,
            rasrShortMaxMs: 60_000,
            tokenTtlMs: 86_400_000,
            clockSkewMs: 900_000,
            serviceLatencyMs: 0,
            ...limits,
        },
        faults: new TestFaults(),
        log: new TestLog(),
        transcripts: createTranscriptRegistry(),
        obs: new Map(),
    };
}
