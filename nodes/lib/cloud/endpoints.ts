// Service base URLs: the documented defaults per region, or the config node's overrides.
import { SisError } from '../core/errors';

export interface Endpoints {
    sis: URL;
    iam: URL;
    obs: URL;
}

export interface EndpointSettings {
    region: string;
    endpoint?: string;
    iamEndpoint?: string;
    obsEndpoint?: string;
}

const REGION_RE = /^[a-z]{2,}(-[a-z0-9]+)+$/;

function base(value: string | undefined, fallback: string, field: string): URL {
    const text = (value ?? '').trim() || fallback;
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        throw new SisError('NOT_CONFIGURED', `${field} is not a valid URL`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
        throw new SisError('NOT_CONFIGURED', `${field} must be an http(s) URL`);
    }
    if (url.username || url.password) throw new SisError('NOT_CONFIGURED', `${field} must not contain credentials`);
    url.pathname = url.pathname.replace(/\/+$/, '');
    url.search = '';
    url.hash = '';
    return url;
}

export function resolveEndpoints(s: EndpointSettings): Endpoints {
    const region = s.region.trim();
    if (!REGION_RE.test(region))
        throw new SisError('NOT_CONFIGURED', 'region is missing or malformed (e.g. cn-north-4)');
    return {
        sis: base(s.endpoint, `https://sis-ext.${region}.myhuaweicloud.com`, 'endpoint'),
        iam: base(s.iamEndpoint, `https://iam.${region}.myhuaweicloud.com`, 'iamEndpoint'),
        obs: base(s.obsEndpoint, `https://obs.${region}.myhuaweicloud.com`, 'obsEndpoint'),
    };
}

/** Joins a base URL (which may carry a path prefix) with a path. */
export function joinUrl(baseUrl: URL, path: string, query = ''): URL {
    const url = new URL(baseUrl.href);
    url.pathname = `${baseUrl.pathname.replace(/\/+$/, '')}${path}`;
    url.search = query;
    return url;
}

/** The WebSocket twin of an http(s) URL. */
export function toWebSocketUrl(url: URL): URL {
    const ws = new URL(url.href);
    ws.protocol = url.protocol === 'http:' ? 'ws:' : 'wss:';
    return ws;
}
