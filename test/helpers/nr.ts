// The real Node-RED runtime through the test helper: Node-RED 4.1 by default, or the module
// named by NODE_RED_MODULE (e.g. `node-red-5`, the npm alias of Node-RED 5).
import helper = require('node-red-node-test-helper');

export const NODE_RED_MODULE = process.env.NODE_RED_MODULE ?? 'node-red';
helper.init(require.resolve(NODE_RED_MODULE));

export { helper };

/** Built node modules, as they ship (`dist/nodes`). */
// biome-ignore lint/suspicious/noExplicitAny: the helper accepts any node module initialiser
export type NodeModule = any;

export function loadNode(name: string): NodeModule {
    return require(`../../dist/nodes/${name}.js`);
}

export function nodeRedVersion(): string {
    return (require(`${NODE_RED_MODULE}/package.json`) as { version: string }).version;
}
