// Base64 of audio a piece at a time. A whole recording's base64 as one string is a large object
// to V8 (over 128 KiB); in a Node-RED that idles between bursts of work, such strings made V8 run
// a full collection of the heap every few dozen inputs. Pieces of 64 KiB of text are ordinary
// young strings, collected for next to nothing.

/** Base64 characters handled at a time (whole groups of four: 48 KiB of bytes). */
const PIECE_CHARS = 64 * 1024;
const PIECE_BYTES = (PIECE_CHARS / 4) * 3;

/** Characters of the base64 text of `bytes` bytes. */
export function base64Length(bytes: number): number {
    return Math.ceil(bytes / 3) * 4;
}

/**
 * Writes the base64 text of `source` into `target` at `at` (room for base64Length(source.length)
 * bytes is the caller's); returns the bytes written.
 */
export function writeBase64(target: Buffer, at: number, source: Buffer): number {
    let written = 0;
    for (let i = 0; i < source.length; i += PIECE_BYTES) {
        const text = source.toString('base64', i, Math.min(source.length, i + PIECE_BYTES));
        written += target.write(text, at + written, 'latin1');
    }
    return written;
}

/**
 * The base64 text `text[start, end)` decoded into one buffer. Pieces are whole groups of four
 * characters, so they decode as the whole text would; a piece that does not give its full three
 * quarters held something other than base64 (skipped by the decoder, which would shift the groups
 * after it), and the text is then decoded in one go, as before.
 */
export function decodeBase64(text: Buffer, start = 0, end = text.length): Buffer {
    const whole = (): Buffer => Buffer.from(text.toString('latin1', start, end), 'base64');
    if (end - start <= PIECE_CHARS) return whole();
    const out = Buffer.allocUnsafeSlow(Math.ceil((end - start) / 4) * 3);
    let at = 0;
    for (let i = start; i < end; i += PIECE_CHARS) {
        const last = i + PIECE_CHARS >= end;
        const n = out.write(text.toString('latin1', i, last ? end : i + PIECE_CHARS), at, 'base64');
        if (!last && n !== PIECE_BYTES) return whole();
        at += n;
    }
    return out.subarray(0, at);
}
