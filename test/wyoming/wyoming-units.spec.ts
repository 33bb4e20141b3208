// The Wyoming server's parts on their own: event framing, the allow list, languages and voices,
// the sentence cutter, and the mDNS responder queried with hand-built DNS messages.
import * as assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { parseAllowList } from '../../nodes/lib/wyoming/allow';
import { chooseVoice, matchLanguage, parseLanguages, parseVoices } from '../../nodes/lib/wyoming/languages';
import { decodeMessage, decodeName, encodeQuery, MdnsResponder, TYPE } from '../../nodes/lib/wyoming/mdns';
import { EventReader, encodeEvent, WyomingProtocolError } from '../../nodes/lib/wyoming/protocol';
import { WidthConverter } from '../../nodes/lib/wyoming/stt';
import { SentenceCutter, sentencesOf } from '../../nodes/lib/wyoming/tts';
import { encode } from '../helpers/wyoming';

describe('wyoming event framing', () => {
    it('reads data in the header and in the data block (merged over it), and payloads, in any cut', () => {
        const bytes = Buffer.concat([
            encode('describe'),
            encode('transcribe', { language: 'zh' }),
            encode('audio-start', { rate: 16000, width: 2, channels: 1 }, undefined, true),
            Buffer.from('{"type":"x","data":{"a":1,"b":1},"data_length":7}\n{"b":2}'),
            encode('audio-chunk', { rate: 16000, width: 2, channels: 1 }, Buffer.from([1, 2, 3, 4]), true),
            encodeEvent('info', { asr: [] }, Buffer.from([9])),
        ]);
        for (const step of [1, 2, 3, 7, 64, bytes.length]) {
            const reader = new EventReader();
            const events = [];
            for (let i = 0; i < bytes.length; i += step) events.push(...reader.push(bytes.subarray(i, i + step)));
            assert.deepEqual(
                events.map((e) => e.type),
                ['describe', 'transcribe', 'audio-start', 'x', 'audio-chunk', 'info'],
            );
            assert.deepEqual(events[1].data, { language: 'zh' });
            assert.deepEqual(events[2].data, { rate: 16000, width: 2, channels: 1 });
            assert.deepEqual(events[3].data, { a: 1, b: 2 });
            assert.deepEqual([...(events[4].payload ?? [])], [1, 2, 3, 4]);
            assert.deepEqual([...(events[5].payload ?? [])], [9]);
            assert.equal(reader.bufferedBytes, 0);
        }
    });

    for (const [what, bytes] of [
        ['broken JSON', '{"type":\n'],
        ['a header that is not an object', '"describe"\n'],
        ['no type', '{"data":{}}\n'],
        ['data that is not an object', '{"type":"a","data":[1]}\n'],
        ['a negative length', '{"type":"a","data_length":-1}\n'],
        ['a fractional length', '{"type":"a","payload_length":1.5}\n'],
        ['a huge payload', '{"type":"a","payload_length":5000000}\n'],
        ['a huge data block', '{"type":"a","data_length":2000000}\n'],
        ['a data block that is not an object', '{"type":"a","data_length":2}\n[]'],
        ['a header line over 64 KiB', `{"type":"${'a'.repeat(70_000)}"}\n`],
        ['64 KiB without a new line', 'x'.repeat(70_000)],
    ] as const) {
        it(`refuses ${what}, then takes nothing more`, () => {
            const reader = new EventReader();
            assert.throws(() => reader.push(Buffer.from(bytes)), WyomingProtocolError);
            assert.deepEqual(reader.push(encode('describe')), []);
        });
    }

    it('writes what the protocol library reads: data in a block, version in the header', () => {
        const bytes = encodeEvent('transcript', { text: '你好' });
        const nl = bytes.indexOf(0x0a);
        const header = JSON.parse(bytes.subarray(0, nl).toString()) as Record<string, unknown>;
        assert.equal(header.type, 'transcript');
        assert.equal(header.version, '1.9.0');
        assert.equal(header.data_length, Buffer.byteLength('{"text":"你好"}'));
        assert.equal(header.payload_length, undefined);
    });
});

describe('wyoming allow list, languages, voices, sentences, samples', () => {
    it('allows loopback and private networks by default, and CIDR lists when set', () => {
        const d = parseAllowList('');
        for (const a of [
            '127.0.0.1',
            '::1',
            '10.1.2.3',
            '172.20.0.1',
            '192.168.1.9',
            '::ffff:192.168.1.9',
            'fe80::1%eth0',
            'fd12::1',
        ]) {
            assert.ok(d.allows(a), a);
        }
        for (const a of ['8.8.8.8', '172.32.0.1', '2001:db8::1', '::ffff:1.2.3.4', undefined, 'junk']) {
            assert.ok(!d.allows(a), String(a));
        }
        const l = parseAllowList('192.168.1.0/24, 10.0.0.5 2001:db8::/32');
        assert.ok(l.allows('192.168.1.200'));
        assert.ok(!l.allows('192.168.2.1'));
        assert.ok(l.allows('10.0.0.5'));
        assert.ok(!l.allows('10.0.0.6'));
        assert.ok(l.allows('2001:db8::5'));
        assert.ok(!l.allows('127.0.0.1'));
        assert.ok(parseAllowList('0.0.0.0/0 ::/0').allows('8.8.8.8'));
        for (const bad of ['300.1.1.1', '10.0.0.0/33', '10.0.0.0/x', 'host.lan', '1.2.3.4/8/1']) {
            assert.throws(() => parseAllowList(bad), /allow/);
        }
    });

    it('maps Home Assistant languages to models', () => {
        const langs = parseLanguages('');
        const keys = [...langs.keys()];
        assert.equal(matchLanguage('zh', keys), 'zh-CN');
        assert.equal(matchLanguage('zh-cn', keys), 'zh-CN');
        assert.equal(matchLanguage('zh-Hans', keys), 'zh-CN');
        assert.equal(matchLanguage('zh-Hant', keys), 'zh-HK');
        assert.equal(matchLanguage('zh-TW', keys), 'zh-CN');
        assert.equal(matchLanguage('zh-HK', keys), 'zh-HK');
        assert.equal(matchLanguage('en', keys), 'en-US');
        assert.equal(matchLanguage('en-GB', keys), 'en-US');
        assert.equal(matchLanguage('wuu', keys), 'wuu');
        assert.equal(matchLanguage('fr', keys), undefined);
        assert.equal(matchLanguage(undefined, keys), 'zh-CN');
        assert.deepEqual(
            [...parseLanguages('zh-CN=sichuan_16k_common;en=english_16k_common')],
            [
                ['zh-CN', 'sichuan_16k_common'],
                ['en', 'english_16k_common'],
            ],
        );
        for (const bad of ['zh-CN', 'zh-CN=x', '=chinese_16k_common', 'zh-CN=a=b'])
            assert.throws(() => parseLanguages(bad));
    });

    it('chooses a voice by name, by language, or by the text', () => {
        const voices = parseVoices('');
        assert.equal(voices[0].property, 'chinese_xiaoyan_common');
        assert.equal(chooseVoice(voices, 'english_amy_common', undefined, '你好').property, 'english_amy_common');
        assert.equal(chooseVoice(voices, 'nope', 'en-US', '你好').property, 'english_cameal_common');
        assert.equal(chooseVoice(voices, undefined, undefined, 'Hello there.').property, 'english_cameal_common');
        assert.equal(chooseVoice(voices, undefined, undefined, '你好').property, 'chinese_xiaoyan_common');
        assert.throws(() => parseVoices('nobody'), /not a voice/);
    });

    it('cuts sentences as text arrives, waiting for what confirms a Latin sentence end', () => {
        const c = new SentenceCutter(500);
        assert.deepEqual(c.push('今天天气'), []);
        assert.deepEqual(c.push('很好。我们'), ['今天天气很好。']);
        assert.deepEqual(c.push('去吧！」Then it is 3.5'), ['我们去吧！」']);
        assert.deepEqual(c.push(' degrees. And'), ['Then it is 3.5 degrees.']);
        assert.deepEqual(c.push(' so?'), []);
        assert.deepEqual(c.flush(), ['And so?']);
        assert.deepEqual(sentencesOf('One. Two!\nThree... 。 ', 500), ['One.', 'Two!', 'Three...']);
        assert.deepEqual(
            sentencesOf('x'.repeat(1200), 500).map((s) => s.length),
            [500, 500, 200],
        );
    });

    it('brings 8, 24 and 32-bit samples to 16 bits, across chunk cuts', () => {
        const w3 = new WidthConverter(3);
        const s24 = Buffer.alloc(6);
        s24.writeIntLE(-1234 * 256, 0, 3);
        s24.writeIntLE(4321 * 256 + 17, 3, 3);
        const out = Buffer.concat([w3.push(s24.subarray(0, 4)), w3.push(s24.subarray(4))]);
        assert.deepEqual([out.readInt16LE(0), out.readInt16LE(2)], [-1234, 4321]);
        const w1 = new WidthConverter(1);
        assert.equal(w1.push(Buffer.from([0x80])).readInt16LE(0), -32768);
        const w4 = new WidthConverter(4);
        const s32 = Buffer.alloc(4);
        s32.writeInt32LE(-5 * 65536);
        assert.equal(w4.push(s32).readInt16LE(0), -5);
    });
});

describe('wyoming mDNS responder', () => {
    it('answers a query for _wyoming._tcp.local with PTR, SRV, TXT and A records, and says goodbye', async () => {
        const port = 25353 + Math.floor(Math.random() * 1000);
        const responder = new MdnsResponder({
            name: 'Huawei SIS',
            port: 10300,
            host: 'node-red-box',
            addresses: ['192.168.1.20'],
            mdnsPort: port,
            multicast: false,
        });
        await responder.start();
        const q = createSocket('udp4');
        try {
            await new Promise<void>((resolve) => q.bind(0, '127.0.0.1', () => resolve()));
            const answer = new Promise<Buffer>((resolve) => q.once('message', (m) => resolve(m)));
            q.send(encodeQuery(0x1234, ['_wyoming', '_tcp', 'local'], TYPE.PTR), port, '127.0.0.1');
            const msg = await answer;
            const dns = decodeMessage(msg);
            assert.equal(dns.id, 0x1234);
            assert.equal(dns.response, true);
            const ptr = dns.answers.find((a) => a.type === TYPE.PTR);
            assert.ok(ptr);
            assert.deepEqual(decodeName(msg, ptr.offset).labels, ['Huawei SIS', '_wyoming', '_tcp', 'local']);
            // The additional records (SRV, TXT, A) follow the answers in the message.
            const all = decodeAll(msg);
            const srv = all.find((r) => r.type === TYPE.SRV);
            assert.ok(srv);
            assert.equal(srv.data.readUInt16BE(4), 10300);
            assert.deepEqual(decodeName(msg, srv.offset + 6).labels, ['node-red-box', 'local']);
            const a = all.find((r) => r.type === TYPE.A);
            assert.deepEqual([...(a?.data ?? [])], [192, 168, 1, 20]);
            assert.ok(all.some((r) => r.type === TYPE.TXT));
            // A query for another service gets no answer; garbage is ignored.
            q.send(Buffer.from('garbage'), port, '127.0.0.1');
            q.send(encodeQuery(1, ['_http', '_tcp', 'local'], TYPE.PTR), port, '127.0.0.1');
            const host = new Promise<Buffer>((resolve) => q.once('message', (m) => resolve(m)));
            q.send(encodeQuery(2, ['node-red-box', 'local'], TYPE.A), port, '127.0.0.1');
            const hostAnswer = decodeMessage(await host);
            assert.equal(hostAnswer.id, 2);
            assert.equal(hostAnswer.answers[0].type, TYPE.A);
        } finally {
            q.close();
            await responder.stop();
        }
    });

    it('announces on the multicast group and withdraws with TTL 0 (where the network has multicast)', async function () {
        const port = 26353 + Math.floor(Math.random() * 1000);
        const listener = createSocket({ type: 'udp4', reuseAddr: true });
        const got: Buffer[] = [];
        listener.on('message', (m) => got.push(m));
        try {
            await new Promise<void>((resolve) => listener.bind(port, () => resolve()));
            listener.addMembership('224.0.0.251');
        } catch {
            listener.close();
            this.skip();
        }
        const responder = new MdnsResponder({ name: 'Kitchen', port: 10301, addresses: ['10.0.0.2'], mdnsPort: port });
        try {
            await responder.start();
        } catch {
            listener.close();
            this.skip();
        }
        const end = Date.now() + 1500;
        while (got.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        await responder.stop();
        await new Promise((r) => setTimeout(r, 100));
        listener.close();
        if (got.length === 0) this.skip(); // no multicast loopback here
        const first = decodeAll(got[0]);
        assert.ok(first.some((r) => r.type === TYPE.PTR && r.ttl > 0));
        const last = decodeAll(got[got.length - 1]);
        assert.ok(
            last.every((r) => r.ttl === 0),
            'goodbye',
        );
    });
});

/** Every record of a response (answers and additionals). */
function decodeAll(msg: Buffer): { type: number; ttl: number; data: Buffer; offset: number }[] {
    const counts = [msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)];
    const fake = Buffer.from(msg);
    fake.writeUInt16BE(counts[0] + counts[1] + counts[2], 6);
    fake.writeUInt16BE(0, 8);
    fake.writeUInt16BE(0, 10);
    return decodeMessage(fake).answers;
}
