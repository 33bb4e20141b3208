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

    /**
     * Builds the yes/no rows of the open dialog of `node`. Each row is a placeholder in the
     * template, `<div class="form-row" data-sis-flag="add_punc"></div>` (optional: `data-sis-icon`,
     * a Font Awesome class for the label; `data-sis-indent`, for an option that belongs to the row
     * above it). It becomes a label (catalogue key `<type>.label.<field>`) and a select
     * `#node-input-<field>` offering the field's default first, then the other answer
     * (`<type>.flag.yes`, `<type>.flag.no`), set to the node's value. Call it first in
     * oneditprepare: Node-RED reads the selects when the dialog is saved.
     * @param {object} node the node being edited (`this` in oneditprepare)
     */
    function flagRows(node) {
        const defaults = node._def.defaults;
        $('[data-sis-flag]').each((_, el) => {
            const row = $(el);
            if (row.children().length) return;
            const field = row.attr('data-sis-flag');
            const first = defaults[field] && defaults[field].value === 'no' ? 'no' : 'yes';
            const id = `node-input-${field}`;
            const label = $('<label>').attr('for', id).appendTo(row);
            if (row.attr('data-sis-icon')) {
                $('<i>')
                    .addClass(`fa ${row.attr('data-sis-icon')}`)
                    .appendTo(label);
                label.append(' ');
            }
            $('<span>')
                .text(node._(`${node.type}.label.${field}`))
                .appendTo(label);
            if (row.is('[data-sis-indent]')) label.css('padding-left', '20px');
            const select = $('<select>').attr('id', id).appendTo(row);
            for (const answer of [first, first === 'yes' ? 'no' : 'yes']) {
                $('<option>')
                    .val(answer)
                    .text(node._(`${node.type}.flag.${answer}`))
                    .appendTo(select);
            }
            if (node[field] !== undefined) select.val(node[field]);
        });
    }

    // Labels from the catalogue of the node's type (`this` is the node, or for the palette the
    // definition; both have `type` and `_`): `<type>.paletteLabel`, `<type>.label.input`,
    // `<type>.label.output-port`; a node's name, when it has one, in italics.
    function paletteLabel() {
        return this._(`${this.type}.paletteLabel`);
    }

    global.SisEditor = {
        fill,
        flagRows,
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
