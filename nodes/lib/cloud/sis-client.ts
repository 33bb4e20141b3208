// The client a config node owns: endpoints, authentication (AK/SK or IAM token), project id,
// JSON calls to SIS, WebSocket handshake headers, and the one-retry rule for refused credentials:
// every request made with the IAM token goes through `withToken`, every OBS request made with
// temporary AK/SK through `withObsCredentials`; a refusal drops the credential and the request is
// made once more with a fresh one.

import { errorFromResponse, SisError } from '../core/errors';
import { parseAnswer } from './answer';
import { SharedValue } from './cache';
import { type Endpoints, joinUrl, resolveEndpoints, toWebSocketUrl } from './endpoints';
import { HttpClient, type HttpClientOptions } from './http';
import { fetchTemporaryCredentials, fetchToken, type IamToken, lookupProject, type TemporaryCredentials } from './iam';
import { isObsCredentialRefusal } from './obs-errors';
import { type AkSkCredentials, buildQuery, type QueryValue, signRequest } from './signer';

export type AuthType = 'aksk' | 'password';

export interface SisCredentials {
    ak?: string;
    sk?: string;
    securityToken?: string;
    username?: string;
    password?: string;
    domainName?: string;
}

export interface SisClientOptions {
    region: string;
    projectId?: string;
    authType: AuthType;
    endpoint?: string;
    iamEndpoint?: string;
    obsEndpoint?: string;
    obsBucket?: string;
    credentials: SisCredentials;
    http?: HttpClientOptions;
    /** Refresh a token when less than this remains (default 60 min: long streams need headroom). */
    tokenRefreshMarginMs?: number;
    now?: () => number;
}

export interface SisCall {
    method: 'GET' | 'POST' | 'PUT' | 'DELETE';
    /** Path below `/v1/{project_id}`, e.g. `/asr/short-audio`. */
    path: string;
    query?: Record<string, QueryValue>;
    /** JSON body (serialised once; the exact bytes are what gets signed). */
    json?: unknown;
    /** Or the JSON body already serialised (a large body built without a second copy). */
    jsonBytes?: Buffer;
    /** Whether repeating it is harmless (recognition, synthesis, queries: yes; job submission: no). */
    idempotent: boolean;
    signal?: AbortSignal;
    what: string;
    /** Where the answer holds one large base64 string (a synthesis' audio): returned decoded as `bytes` (see parseAnswer). */
    base64At?: readonly string[];
}

export interface SisResult<T> {
    status: number;
    body: T;
    traceId?: string;
    /** The string at the call's `base64At`, decoded (the body then holds "" there); absent when it was parsed as usual. */
    bytes?: Buffer;
}

export interface WsHandshake {
    url: string;
    headers: Record<string, string>;
}

const TOKEN_LIFETIME_FALLBACK_MS = 23 * 3600_000;
const TEMP_CREDENTIAL_SECONDS = 6 * 3600;
const TEMP_CREDENTIAL_MARGIN_MS = 15 * 60_000;
const MASK = '***';

/** A token getter, for the requests `withToken` runs (AK/SK mode: never called). */
export type TokenSource = () => Promise<string>;

/** An OBS credential getter, for the requests `withObsCredentials` runs. */
export type ObsCredentialSource = () => Promise<AkSkCredentials>;

/**
 * Whether an error answers a request made with the IAM token by refusing that token: any 401 (the
 * gateway's `APIG.0301` / `APIG.0307`, SIS's own, a refused WebSocket upgrade, IAM's), or IAM's
 * "The token must be updated." whatever its status (auth.md §3.3).
 */
export function isTokenRefusal(err: unknown): boolean {
    if (!(err instanceof SisError)) return false;
    if (err.status === 401 || err.serviceCode === 'APIG.0307') return true;
    return /token must be updated/i.test(err.message);
}

function nonEmpty(v: string | undefined): string | undefined {
    const t = v?.trim();
    return t ? t : undefined;
}

export class SisClient {
    readonly endpoints: Endpoints;
    readonly region: string;
    readonly authType: AuthType;
    readonly obsBucket?: string;
    readonly http: HttpClient;
    private readonly creds: SisCredentials;
    private readonly now: () => number;
    private readonly configuredProjectId?: string;
    private readonly token?: SharedValue<IamToken>;
    private readonly project: SharedValue<string>;
    private readonly temporary?: SharedValue<TemporaryCredentials>;

    constructor(opts: SisClientOptions) {
        this.region = opts.region.trim();
        this.endpoints = resolveEndpoints(opts);
        this.authType = opts.authType;
        this.obsBucket = nonEmpty(opts.obsBucket);
        this.creds = opts.credentials;
        this.now = opts.now ?? Date.now;
        this.configuredProjectId = nonEmpty(opts.projectId);
        this.http = new HttpClient(opts.http);
        this.checkCredentials();
        const margin = opts.tokenRefreshMarginMs ?? 60 * 60_000;
        if (this.authType === 'password') {
            this.token = new SharedValue(
                () => this.fetchIamToken(),
                (t) => {
                    const expiry = t.expiresAt ?? t.issuedAt + TOKEN_LIFETIME_FALLBACK_MS;
                    const left = expiry - this.now();
                    return left <= 0 ? 'expired' : left < margin ? 'stale' : 'fresh';
                },
            );
            this.temporary = new SharedValue(
                () =>
                    this.withToken(async (token) =>
                        fetchTemporaryCredentials(
                            this.http,
                            this.endpoints.iam,
                            await token(),
                            TEMP_CREDENTIAL_SECONDS,
                        ),
                    ),
                (c) => {
                    if (c.expiresAt === undefined) return 'fresh';
                    const left = c.expiresAt - this.now();
                    return left <= 0 ? 'expired' : left < TEMP_CREDENTIAL_MARGIN_MS ? 'stale' : 'fresh';
                },
            );
        }
        this.project = new SharedValue(() => this.resolveProjectId());
    }

    private checkCredentials(): void {
        const c = this.creds;
        if (this.authType === 'aksk') {
            if (!nonEmpty(c.ak) || !nonEmpty(c.sk)) throw new SisError('NOT_CONFIGURED', 'AK and SK are required');
        } else if (this.authType === 'password') {
            if (!nonEmpty(c.username) || !c.password || !nonEmpty(c.domainName)) {
                throw new SisError('NOT_CONFIGURED', 'user name, password and account (domain) name are required');
            }
        } else {
            throw new SisError('NOT_CONFIGURED', 'authType must be "aksk" or "password"');
        }
    }

    private akSk(): AkSkCredentials {
        return { ak: this.creds.ak ?? '', sk: this.creds.sk ?? '', securityToken: nonEmpty(this.creds.securityToken) };
    }

    private async fetchIamToken(): Promise<IamToken> {
        const c = this.creds;
        return fetchToken(
            this.http,
            this.endpoints.iam,
            { username: c.username ?? '', password: c.password ?? '', domainName: c.domainName ?? '' },
            this.configuredProjectId ? { projectId: this.configuredProjectId } : { projectName: this.region },
            this.now,
        );
    }

    /**
     * Runs `work`, which authenticates with the token its getter gives; when the answer refuses
     * that token (`isTokenRefusal`), the token is dropped and `work` runs once more with a fresh
     * one. Every request made with the IAM token goes through here. In AK/SK mode `work` runs
     * once: a refused signature is never retried (the gateway locks the AK after repeated failures).
     */
    async withToken<R>(work: (token: TokenSource) => Promise<R>): Promise<R> {
        const shared = this.token;
        if (!shared) {
            return work(async () => {
                throw new SisError('NOT_CONFIGURED', 'no IAM token in AK/SK mode');
            });
        }
        return shared.use(async (get) => work(async () => (await get()).token), isTokenRefusal);
    }

    /**
     * Runs `work`, which signs OBS requests with the credentials its getter gives. Temporary AK/SK
     * that OBS refuses (`isObsCredentialRefusal`) are dropped and `work` runs once more with fresh
     * ones; permanent keys are used as configured, once.
     */
    async withObsCredentials<R>(work: (creds: ObsCredentialSource) => Promise<R>): Promise<R> {
        const shared = this.temporary;
        try {
            if (!shared) return await work(async () => this.akSk());
            return await shared.use(
                async (get) =>
                    work(async () => {
                        const t = await get();
                        return { ak: t.ak, sk: t.sk, securityToken: t.securityToken };
                    }),
                isObsCredentialRefusal,
            );
        } catch (err) {
            throw this.scrubError(err);
        }
    }

    private async resolveProjectId(): Promise<string> {
        if (this.configuredProjectId) return this.configuredProjectId;
        if (this.token) {
            const token = await this.token.get();
            if (token.projectId) return token.projectId;
            throw new SisError('PROTOCOL', 'the IAM token names no project');
        }
        return lookupProject(this.http, this.endpoints.iam, this.region, async (url) => {
            const signed = signRequest(
                { method: 'GET', url, headers: { 'content-type': 'application/json' } },
                this.akSk(),
                new Date(this.now()),
            );
            return signed.headers;
        });
    }

    /** The project id: configured, from the token's project, or looked up on IAM (never created). */
    async projectId(): Promise<string> {
        return this.project.get();
    }

    /** Headers that authenticate one attempt of a request. */
    private async authenticate(
        method: string,
        url: URL,
        headers: Record<string, string>,
        body: Buffer | string | undefined,
        projectId: string,
        token: TokenSource,
    ): Promise<Record<string, string>> {
        if (this.token) return { 'X-Auth-Token': await token() };
        // The official SDK signs X-Project-Id with permanent and temporary keys alike (vectors).
        const signed = signRequest(
            { method, url, headers: Object.assign({}, headers, { 'X-Project-Id': projectId }), body },
            this.akSk(),
            new Date(this.now()),
        );
        return signed.headers;
    }

    /** Calls a SIS REST API and parses its JSON answer; failures become SisErrors. */
    async call<T>(call: SisCall): Promise<SisResult<T>> {
        try {
            // A 401 comes from the gateway, before the service saw the request: repeating it is
            // safe even for a job submission.
            return await this.withToken((token) => this.callOnce<T>(call, token));
        } catch (err) {
            throw this.scrubError(err);
        }
    }

    private async callOnce<T>(call: SisCall, token: TokenSource): Promise<SisResult<T>> {
        const projectId = await this.projectId();
        const url = joinUrl(
            this.endpoints.sis,
            `/v1/${encodeURIComponent(projectId)}${call.path}`,
            buildQuery(call.query ?? {}),
        );
        const body = call.jsonBytes ?? (call.json === undefined ? undefined : JSON.stringify(call.json));
        const baseHeaders = { 'content-type': 'application/json' };
        const res = await this.http.send({
            method: call.method,
            url,
            headers: baseHeaders,
            body,
            idempotent: call.idempotent,
            signal: call.signal,
            what: call.what,
            prepare: () => this.authenticate(call.method, url, baseHeaders, body, projectId, token),
        });
        if (res.status < 200 || res.status >= 300) {
            throw errorFromResponse(res.status, res.body, call.what, res.headers);
        }
        let parsed: unknown;
        let bytes: Buffer | undefined;
        try {
            ({ value: parsed, bytes } = res.body.length ? parseAnswer(res.body, call.base64At) : { value: {} });
        } catch {
            throw new SisError('PROTOCOL', `${call.what}: the answer is not valid JSON`, { status: res.status });
        }
        if (parsed === null || typeof parsed !== 'object') {
            throw new SisError('PROTOCOL', `${call.what}: the answer is not a JSON object`, { status: res.status });
        }
        const traceId = (parsed as { trace_id?: unknown }).trace_id;
        return {
            status: res.status,
            body: parsed as T,
            traceId: typeof traceId === 'string' ? traceId : undefined,
            bytes,
        };
    }

    /**
     * URL and headers for a WebSocket handshake on `path` (below `/v1/{project_id}`): the token
     * header, or a GET signed like the service's own SDK does (host and x-sdk-date only; the
     * Host header itself is left to the WebSocket library so only one is sent). A handshake that
     * may be refused runs inside `withToken` and passes its getter as `token`.
     */
    async wsHandshake(path: string, token?: TokenSource): Promise<WsHandshake> {
        try {
            const projectId = await this.projectId();
            const httpUrl = joinUrl(this.endpoints.sis, `/v1/${encodeURIComponent(projectId)}${path}`);
            const url = toWebSocketUrl(httpUrl).href;
            if (this.token) {
                const value = token ? await token() : (await this.token.get()).token;
                return { url, headers: { 'X-Auth-Token': value } };
            }
            const signed = signRequest({ method: 'GET', url: httpUrl, headers: {} }, this.akSk(), new Date(this.now()));
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(signed.headers)) {
                if (name.toLowerCase() !== 'host') headers[name] = value;
            }
            return { url, headers };
        } catch (err) {
            throw this.scrubError(err);
        }
    }

    /**
     * AK/SK for OBS: the configured keys, or temporary keys obtained with the IAM token. (A request
     * OBS may refuse gets them through `withObsCredentials` instead.)
     */
    async obsCredentials(): Promise<AkSkCredentials> {
        return this.withObsCredentials(async (creds) => creds());
    }

    /** Checks that the credentials work: gets a token or looks up / confirms the project. */
    async testConnection(): Promise<{ region: string; projectId: string; authType: AuthType }> {
        try {
            this.project.invalidate();
            this.token?.invalidate();
            if (this.authType === 'aksk' && this.configuredProjectId) {
                // Resolving a configured id proves nothing; ask IAM so the signature is checked.
                await lookupProject(this.http, this.endpoints.iam, this.region, async (url) => {
                    return signRequest(
                        { method: 'GET', url, headers: { 'content-type': 'application/json' } },
                        this.akSk(),
                        new Date(this.now()),
                    ).headers;
                }).catch((err: unknown) => {
                    if (err instanceof SisError && err.code === 'NOT_CONFIGURED') return '';
                    throw err;
                });
            }
            const projectId = await this.projectId();
            return { region: this.region, projectId, authType: this.authType };
        } catch (err) {
            throw this.scrubError(err);
        }
    }

    /** Every secret this client knows, for scrubbing text that leaves it. */
    private secrets(): string[] {
        const list = [this.creds.sk, this.creds.securityToken, this.creds.password];
        const token = this.token?.peek()?.token;
        if (token) list.push(token);
        const temp = this.temporary?.peek();
        if (temp) list.push(temp.sk, temp.securityToken);
        return list.filter((s): s is string => typeof s === 'string' && s.length >= 4);
    }

    /** Removes any secret from a text. */
    scrub(text: string): string {
        let out = text;
        for (const secret of this.secrets()) out = out.split(secret).join(MASK);
        return out;
    }

    scrubError(err: unknown): unknown {
        if (err instanceof Error) {
            const clean = this.scrub(err.message);
            if (clean !== err.message) err.message = clean;
        }
        return err;
    }

    async close(): Promise<void> {
        await this.http.close();
    }
}
