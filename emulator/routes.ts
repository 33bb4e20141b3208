// Maps a request (method, raw path, Host) to the emulated service and route that answers it.

import type { Call, Core } from './core';
import { iamRouteOf } from './iam';
import { type ObsTarget, obsRouteOf, pathStyleTarget, virtualHostBucket } from './obs';
import type { Reply } from './reply';
import { handleFlash } from './sis-flash';
import { handleShortAudio } from './sis-short-audio';
import { handleTranscriberCreate, handleTranscriberQuery } from './sis-transcriber';
import { handleTts } from './sis-tts';
import { handleVocabularies } from './sis-vocabularies';
import type { RouteName } from './types';

function safeDecode(text: string): string {
    try {
        return decodeURIComponent(text);
    } catch {
        return text;
    }
}

export type SisHandler = (core: Core, call: Call) => Reply | Promise<Reply>;

export type Target =
    | { kind: 'admin' }
    | { kind: 'iam'; route?: RouteName }
    | { kind: 'sis'; projectId: string; route?: RouteName; handler?: SisHandler }
    | { kind: 'obs'; route: RouteName; obs: ObsTarget }
    | { kind: 'none' };

function sisRoute(method: string, rest: string[]): { route: RouteName; handler: SisHandler } | undefined {
    const [a, b, c, d] = rest;
    if (rest.length === 1 && a === 'tts') return method === 'POST' ? { route: 'tts', handler: handleTts } : undefined;
    if (a !== 'asr') return undefined;
    if (rest.length === 2 && b === 'short-audio' && method === 'POST') {
        return { route: 'short-audio', handler: handleShortAudio };
    }
    if (rest.length === 2 && b === 'flash' && method === 'POST') return { route: 'flash', handler: handleFlash };
    if (b === 'transcriber' && c === 'jobs') {
        if (rest.length === 3 && method === 'POST')
            return { route: 'transcriber.create', handler: handleTranscriberCreate };
        if (rest.length === 4 && method === 'GET' && d !== '') {
            return {
                route: 'transcriber.query',
                handler: (core, call) => handleTranscriberQuery(core, call, safeDecode(d)),
            };
        }
        return undefined;
    }
    if (b === 'vocabularies') {
        if (rest.length === 2 && (method === 'POST' || method === 'GET')) {
            return { route: 'vocabularies', handler: (core, call) => handleVocabularies(core, call, undefined) };
        }
        if (rest.length === 3 && c !== '' && (method === 'GET' || method === 'PUT' || method === 'DELETE')) {
            return { route: 'vocabularies', handler: (core, call) => handleVocabularies(core, call, safeDecode(c)) };
        }
    }
    return undefined;
}

export function resolveTarget(method: string, rawPath: string, host: string): Target {
    const bucket = virtualHostBucket(host);
    if (bucket)
        return { kind: 'obs', route: obsRouteOf(method), obs: { bucket, rawKeyPath: rawPath === '/' ? '' : rawPath } };
    if (rawPath === '/__emulator' || rawPath.startsWith('/__emulator/')) return { kind: 'admin' };
    if (rawPath.startsWith('/v3/') || rawPath.startsWith('/v3.0/'))
        return { kind: 'iam', route: iamRouteOf(method, rawPath) };
    if (rawPath.startsWith('/v1/')) {
        const segments = rawPath.split('/');
        if (segments[segments.length - 1] === '') segments.pop();
        const projectId = segments[2] ?? '';
        const found = sisRoute(method, segments.slice(3));
        return { kind: 'sis', projectId, route: found?.route, handler: found?.handler };
    }
    const obs = pathStyleTarget(rawPath);
    if (obs) return { kind: 'obs', route: obsRouteOf(method), obs };
    return { kind: 'none' };
}

const RASR_MODES = new Set(['short-stream', 'continue-stream', 'sentence-stream']);

/** WebSocket upgrade paths: RASR modes, RTTS and the WebSocket short-audio variant. */
export function upgradeRouteOf(rawPath: string): { projectId: string; route: RouteName } | undefined {
    const segments = rawPath.split('/');
    if (segments[1] !== 'v1' || segments.length < 4) return undefined;
    const projectId = segments[2];
    const rest = segments.slice(3);
    if (rest.length === 2 && rest[0] === 'rasr' && RASR_MODES.has(rest[1])) return { projectId, route: 'rasr' };
    if (rest.length === 1 && rest[0] === 'rtts') return { projectId, route: 'rtts' };
    if (rest.length === 2 && rest[0] === 'asr' && rest[1] === 'short-audio')
        return { projectId, route: 'short-audio.ws' };
    return undefined;
}
