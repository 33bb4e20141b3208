// Local typing for the parts of the Node-RED API the nodes use (the published types are old).
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import type { SisClient, SisCredentials } from '../cloud/sis-client';

export type { Node, NodeAPI, NodeDef, NodeMessage };

export type SendFn = (msg: NodeMessage | (NodeMessage | NodeMessage[] | null)[]) => void;
export type DoneFn = (err?: Error) => void;

export interface SisConfigDef extends NodeDef {
    region: string;
    projectId?: string;
    authType: 'aksk' | 'password';
    endpoint?: string;
    iamEndpoint?: string;
    obsEndpoint?: string;
    obsBucket?: string;
    maxConcurrent?: number | string;
    timeout?: number | string;
    maxRetries?: number | string;
    caFile?: string;
    /** Shared state between instances: `redis://…` or `rediss://…` (credentials apart). */
    redisUrl?: string;
    redisPrefix?: string;
}

export interface SisConfigNode extends Node<SisCredentials> {
    /** Undefined when the configuration is unusable; `configError` then says why. */
    client?: SisClient;
    configError?: string;
    /** The credentials with `${VAR}` resolved, for the admin routes' drafts of this configuration. */
    resolvedCredentials?: SisCredentials;
    region: string;
    obsBucket?: string;
    /** Nodes using this configuration; it closes its client only after they let go. */
    register(node: Node): void;
    deregister(node: Node): void;
}

/** Base definition of the nodes that use a config node. */
export interface SisUserDef extends NodeDef {
    config: string;
    /** Where the input comes from (`payload` of type `msg` when unset) and where the result goes. */
    inputField?: string;
    inputFieldType?: string;
    outputField?: string;
}
