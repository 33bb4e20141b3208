import * as assert from 'node:assert/strict';
import { textPerPeriod } from '../../nodes/lib/cloud/date-text';
import { stagingKey } from '../../nodes/lib/cloud/obs';
import { obsDate } from '../../nodes/lib/cloud/obs-signature';
import { sdkDate } from '../../nodes/lib/cloud/signer';

describe('dates as text', () => {
    it('formats once per period, and anew as soon as the period changes, backwards too', () => {
        const seen: number[] = [];
        const text = textPerPeriod(1000, (d) => {
            seen.push(d.getTime());
            return String(Math.floor(d.getTime() / 1000));
        });
        assert.equal(text(new Date(5000)), '5');
        assert.equal(text(new Date(5999)), '5');
        assert.equal(text(new Date(6000)), '6');
        assert.equal(text(new Date(5500)), '5');
        assert.deepEqual(seen, [5000, 6000, 5500]);
    });

    it('gives the signatures’ and the staging keys’ texts of the moment asked for', () => {
        const a = new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 600));
        const b = new Date(Date.UTC(2025, 0, 2, 3, 4, 6));
        assert.equal(sdkDate(a), '20250102T030405Z');
        assert.equal(sdkDate(b), '20250102T030406Z');
        assert.equal(obsDate(a), 'Thu, 02 Jan 2025 03:04:05 GMT');
        assert.equal(obsDate(b), 'Thu, 02 Jan 2025 03:04:06 GMT');
        assert.match(stagingKey('p', 'wav', a), /^p\/2025\/01\/02\/[0-9a-f-]{36}\.wav$/);
        assert.match(stagingKey('p/', '.mp3', new Date(Date.UTC(2025, 0, 3))), /^p\/2025\/01\/03\/[0-9a-f-]{36}\.mp3$/);
    });
});
