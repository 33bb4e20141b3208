// The editor code that the SIS node templates (nodes/sis-*.html) share, loaded by each of them with
// <script src="resources/node-red-contrib-huaweicloud-sis/sis-editor.js"></script>.
//
// Node-RED serves this folder at resources/<package name>/ only for nodes loaded as a module (a
// package.json with a "node-red" section): installed in the user directory's node_modules (npm
// install, or a link to a checkout), or a `nodesDir` entry pointing at the package root. Nodes
// loaded from a plain folder (`nodesDir` = dist/nodes) belong to no module: the request answers 404,
// and the editor, which waits for every such script before it adds a module's nodes, never shows
// them. The editor loads this file once per template that names it, before any of their
// registerType blocks runs; the guard below keeps the first copy.
((global) => {
    if (global.SisEditor) return;

    /**
     * Fills a <select> with `items` (strings, or { value, label }) and selects `current`.
     * @param {JQuery} select
     * @param {Array<string | { value: string, label: string }>} items
     * @param {string} current
     */
    function fill(select, items, current) {
        select.empty();
        (items || []).forEach((item) => {
            const value = typeof item === 'object' ? item.value : item;
            const label = typeof item === 'object' ? item.label : item;
            $('<option>').val(value).text(label).appendTo(select);
        });
        select.val(current);
    }

    const PLACEHOLDER =
        /<div class="form-row([^"]*)" data-sis-(flag|select|input)="(\w+)"((?: data-sis-[a-z]+(?:="[^"]*")?)*)><\/div>/g;

    /**
     * Expands the row placeholders of a node template (the text of its
     * `<script type="text/html" data-template-name="<type>">`) into the rows Node-RED fills in:
     *
     *     <div class="form-row" data-sis-flag="add_punc"></div>         a yes/no select
     *     <div class="form-row" data-sis-select="property"></div>       an empty select, 70% wide
     *     <div class="form-row" data-sis-input="config"></div>          a text input
     *
     * Each gets the label `<type>.label.<field>` (with `data-sis-icon="fa-…"`, an icon before it;
     * with `data-sis-indent`, indented as an option of the row above) and the control
     * `#node-input-<field>`. A yes/no select offers the field's default (from `defaults`) first,
     * then the other answer, labelled `<type>.flag.yes` and `<type>.flag.no`. Other classes of the
     * row stay. Returns the expanded text; no DOM, so it also runs outside a browser.
     * @param {string} type node type, the prefix of the catalogue keys
     * @param {string} html template text
     * @param {object} defaults the node definition's `defaults`
     * @returns {string}
     */
    function expand(type, html, defaults) {
        return html.replace(PLACEHOLDER, (_, classes, kind, field, extra) => {
            const id = `node-input-${field}`;
            const icon = /data-sis-icon="([^"]*)"/.exec(extra);
            const indent = / data-sis-indent\b/.test(extra) ? ' style="padding-left: 20px"' : '';
            const label =
                `<label for="${id}"${indent}>${icon ? `<i class="fa ${icon[1]}"></i> ` : ''}` +
                `<span data-i18n="${type}.label.${field}"></span></label>`;
            let control = `<input type="text" id="${id}">`;
            if (kind === 'select') control = `<select id="${id}" style="width: 70%"></select>`;
            if (kind === 'flag') {
                const first = (defaults[field] || {}).value === 'no' ? 'no' : 'yes';
                const options = [first, first === 'yes' ? 'no' : 'yes'].map(
                    (answer) => `<option value="${answer}" data-i18n="${type}.flag.${answer}"></option>`,
                );
                control = `<select id="${id}">${options.join('')}</select>`;
            }
            return `<div class="form-row${classes}">\n        ${label}\n        ${control}\n    </div>`;
        });
    }

    /**
     * Expands, in the page, the placeholders of the template of `type` (see expand) with the
     * defaults it was registered with. Call it right after RED.nodes.registerType: the editor adds
     * a module's templates to the page together, before their scripts run, and reads a template
     * each time it opens a dialog.
     * @param {string} type
     */
    function template(type) {
        const script = $(`script[data-template-name="${type}"]`);
        script.text(expand(type, script.text(), RED.nodes.getType(type).defaults));
    }

    // Labels from the catalogue of the node's type (`this` is the node, or for the palette the
    // definition; both have `type` and `_`): `<type>.paletteLabel`, `<type>.label.input`,
    // `<type>.label.output-port`; a node's name, when it has one, in italics.
    function paletteLabel() {
        return this._(`${this.type}.paletteLabel`);
    }

    global.SisEditor = {
        fill,
        expand,
        template,
        paletteLabel,
        label: function () {
            return this.name || paletteLabel.call(this);
        },
        labelStyle: function () {
            return this.name ? 'node_label_italic' : '';
        },
        inputLabels: function () {
            return this._(`${this.type}.label.input`);
        },
        outputLabels: function () {
            return this._(`${this.type}.label.output-port`);
        },
    };
})(window);
