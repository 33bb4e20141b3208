// Which proxy, if any, a request goes through: the same environment variables and NO_PROXY rules
// as Node-RED's own http request node (strict mode), plus loopback never proxied so that a local
// emulator is always reached directly.

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ws: 80, wss: 443 };

type Env = Record<string, string | undefined>;

function getEnv(env: Env, key: string): string {
    return env[key.toLowerCase()] || env[key.toUpperCase()] || '';
}

function isLoopback(hostname: string): boolean {
    const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
    return host === 'localhost' || host === '::1' || host.startsWith('127.') || host.endsWith('.localhost');
}

function matchesNoProxy(hostname: string, port: number, noProxy: string): boolean {
    if (noProxy === '*') return true;
    return noProxy.split(/[,\s]/).some((entry) => {
        if (!entry) return false;
        const m = /^(.+):(\d+)$/.exec(entry);
        let host = m ? m[1] : entry;
        const entryPort = m ? Number.parseInt(m[2], 10) : 0;
        if (entryPort && entryPort !== port) return false;
        if (!/^[.*]/.test(host)) return hostname === host;
        if (host.startsWith('*')) host = host.slice(1);
        return hostname.endsWith(host);
    });
}

/** The proxy URL for `url`, or undefined for a direct connection. */
export function proxyForUrl(url: URL, env: Env = process.env): string | undefined {
    const proto = url.protocol.replace(/:$/, '');
    const hostname = url.hostname.toLowerCase();
    if (!hostname || isLoopback(hostname)) return undefined;
    const port = url.port ? Number.parseInt(url.port, 10) : (DEFAULT_PORTS[proto] ?? 0);
    const noProxy = (getEnv(env, 'npm_config_no_proxy') || getEnv(env, 'no_proxy')).toLowerCase();
    if (noProxy && matchesNoProxy(hostname, port, noProxy)) return undefined;
    // WebSocket URLs use the proxy of their HTTP twin.
    const httpProto = proto === 'wss' ? 'https' : proto === 'ws' ? 'http' : proto;
    let proxy =
        getEnv(env, `npm_config_${httpProto}_proxy`) ||
        getEnv(env, `${httpProto}_proxy`) ||
        getEnv(env, 'npm_config_proxy') ||
        getEnv(env, 'all_proxy');
    if (!proxy) return undefined;
    if (!proxy.includes('://')) proxy = `${httpProto}://${proxy}`;
    return proxy;
}
