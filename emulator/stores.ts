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

/** Who may read a bucket besides the account's own signed requests (docs/protocol/obs.md §1). */
export interface BucketAcl {
    /** SIS has been authorised to read the bucket (the console's "configure OBS access"). */
    sisRead: boolean;
    /** public-read: anyone may GET its objects without a signature, SIS included. */
    publicRead: boolean;
}

/** Bucket ACLs; a bucket never set is private (the default of a new OBS bucket). */
export class BucketAcls {
    private readonly items = new Map<string, BucketAcl>();

    get(bucket: string): BucketAcl {
        return { sisRead: false, publicRead: false, ...this.items.get(bucket) };
    }

    set(bucket: string, change: Partial<BucketAcl>): BucketAcl {
        const acl = { ...this.get(bucket) };
        if (change.sisRead !== undefined) acl.sisRead = change.sisRead;
        if (change.publicRead !== undefined) acl.publicRead = change.publicRead;
        this.items.set(bucket, acl);
        return acl;
    }

    /** Whether SIS may read the bucket's objects through plain addresses (bucket + key, object URL). */
    sisCanRead(bucket: string): boolean {
        const acl = this.get(bucket);
        return acl.sisRead || acl.publicRead;
    }
}
