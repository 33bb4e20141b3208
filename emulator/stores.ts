// In-memory state of the SIS routes (transcriber jobs, hot-word vocabularies). A leaf module: the
// core holds these stores and the route modules use them, so neither imports the other.

export type Outcome =
    | { ok: true; durationMs: number; segments: Record<string, unknown>[] }
    | { ok: false; code: string; message: string };

export interface Job {
    id: string;
    createdAt: number;
    readyAt: number;
    outcome?: Outcome;
}

export class JobStore {
    readonly jobs = new Map<string, Job>();
}

export interface Vocabulary {
    vocabulary_id: string;
    name: string;
    description: string;
    language: string;
    contents: string[];
}

export class VocabularyStore {
    private readonly items = new Map<string, Vocabulary>();

    has(id: string): boolean {
        return this.items.has(id);
    }

    get(id: string): Vocabulary | undefined {
        return this.items.get(id);
    }

    list(): Vocabulary[] {
        return [...this.items.values()];
    }

    put(vocabulary: Vocabulary): void {
        this.items.set(vocabulary.vocabulary_id, vocabulary);
    }

    delete(id: string): boolean {
        return this.items.delete(id);
    }

    get size(): number {
        return this.items.size;
    }
}
