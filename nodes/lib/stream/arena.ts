// The memory a stream node keeps replay audio in (replay.ts): fixed-size blocks carved out of
// slabs, each slab the memory of its own instance of the PCM coder, so that a chunk is coded and
// its code copied into the session's block without leaving that memory, and without a JavaScript
// object per block. On a runtime without WebAssembly the slabs are plain buffers.
import { newPcmCoder, type PcmCoder } from './pcm-codec';

/** Size of a block: about a quarter second of coded 16 kHz speech. */
export const REPLAY_BLOCK_BYTES = 2 * 1024;
/** Blocks per slab (240 KiB: with the coder's own areas, four 64 KiB pages). */
const SLAB_BLOCKS = 120;

export interface Slab {
    readonly bytes: Buffer;
    /** The coder working in this memory; undefined without WebAssembly. */
    readonly coder: PcmCoder | undefined;
    /** Offset of the slab's first block in `bytes`. */
    readonly base: number;
    /** Free blocks (their index in the slab), taken from the top. */
    readonly free: Int32Array;
    top: number;
}

function newSlab(): Slab {
    const coder = newPcmCoder(SLAB_BLOCKS * REPLAY_BLOCK_BYTES);
    const free = new Int32Array(SLAB_BLOCKS);
    for (let i = 0; i < SLAB_BLOCKS; i++) free[i] = SLAB_BLOCKS - 1 - i;
    return {
        bytes: coder ? coder.bytes : Buffer.allocUnsafeSlow(SLAB_BLOCKS * REPLAY_BLOCK_BYTES),
        coder,
        base: coder ? coder.free : 0,
        free,
        top: SLAB_BLOCKS,
    };
}

/**
 * Blocks are named by numbers (slab number × SLAB_BLOCKS + index). They are taken from the
 * lowest-numbered slab that has one, so that the others empty out; a slab whose blocks are all
 * free is let go, but for one kept for what comes next.
 */
export class ReplayArena {
    private readonly slabs: (Slab | undefined)[] = [];
    /** Free blocks per slab number, -1 for a number without a slab (read apart from the slabs, on every take). */
    private readonly counts: number[] = [];
    /** Blocks taken and not given back (for tests and diagnostics). */
    inUse = 0;

    /** A free block's number. */
    take(): number {
        const counts = this.counts;
        let no = 0;
        while (no < counts.length && counts[no] <= 0) no++;
        if (no === counts.length) {
            const hole = counts.indexOf(-1);
            if (hole >= 0) no = hole;
            this.slabs[no] = newSlab();
            counts[no] = SLAB_BLOCKS;
        }
        const slab = this.slabs[no] as Slab;
        counts[no]--;
        this.inUse++;
        return no * SLAB_BLOCKS + slab.free[--slab.top];
    }

    /** Takes back a block taken before. */
    give(block: number): void {
        const no = (block / SLAB_BLOCKS) | 0;
        const slab = this.slabs[no] as Slab;
        slab.free[slab.top++] = block - no * SLAB_BLOCKS;
        this.inUse--;
        if (++this.counts[no] === SLAB_BLOCKS && this.idleSlabs() > 1) {
            this.slabs[no] = undefined;
            this.counts[no] = -1;
        }
    }

    slabOf(block: number): Slab {
        return this.slabs[(block / SLAB_BLOCKS) | 0] as Slab;
    }

    /** Offset of `block` in its slab's bytes. */
    offsetOf(block: number): number {
        const slab = this.slabOf(block);
        return slab.base + (block % SLAB_BLOCKS) * REPLAY_BLOCK_BYTES;
    }

    /** Bytes of memory the slabs hold (for tests and diagnostics). */
    get heldBytes(): number {
        let sum = 0;
        for (const slab of this.slabs) if (slab) sum += slab.bytes.length;
        return sum;
    }

    private idleSlabs(): number {
        let idle = 0;
        for (const count of this.counts) if (count === SLAB_BLOCKS) idle++;
        return idle;
    }
}
