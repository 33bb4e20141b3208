// Loaded with `--require` by `npm run validate`: answers the flow library scorecard's look-up of
// the Node-RED catalogue (a host CI cannot reach) with an empty catalogue. Every other look-up
// (the npm registry) is real.
const Module = require('node:module');

const CATALOGUE = 'https://catalogue.nodered.org/catalogue.json';
const load = Module._load;
Module._load = function (request, parent, isMain) {
    const exported = load.call(this, request, parent, isMain);
    if (request !== 'axios' || exported.__sisStubbed) return exported;
    const get = exported.get.bind(exported);
    exported.get = (url, ...rest) =>
        url === CATALOGUE ? Promise.resolve({ status: 200, data: { modules: [] } }) : get(url, ...rest);
    exported.__sisStubbed = true;
    return exported;
};
