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

    // --- Dialog polish: checkboxes for yes/no rows, tooltips, folded advanced rows, the Test values.

    /** Adds the package's dialog styles to the page, once. */
    function addStyles() {
        if (document.getElementById('sis-editor-styles')) return;
        $('<style id="sis-editor-styles">')
            .text(
                [
                    '.sis-dialog .form-row > label:first-child { width: 130px; }',
                    '.sis-dialog .form-row > label[style*="padding-left: 20px"]:first-child { width: 110px; }',
                    '.sis-dialog .form-row > input[type="text"]:not(.sis-narrow) { width: calc(100% - 140px); }',
                    '.sis-dialog .form-row > select:not(#node-input-config) { width: calc(100% - 140px) !important; }',
                    '.sis-dialog .form-row > input.sis-narrow { width: 90px; }',
                    '.sis-dialog .form-row > .red-ui-typedInput-container { width: calc(100% - 140px) !important; }',
                    '.sis-dialog .form-row.sis-check > input[type="checkbox"] { width: auto; margin: 0 6px 0 0; vertical-align: middle; }',
                    '.sis-dialog .form-row.sis-check > label.sis-check-label { width: auto; vertical-align: middle; }',
                    '.sis-dialog .sis-fold { cursor: pointer; user-select: none; }',
                    '.sis-dialog .form-tips.sis-row-tip { margin: -6px 0 10px 140px; padding: 2px 6px; }',
                    '.sis-test-ok { color: #3a873a; }',
                    '.sis-test-failed { color: #c33; }',
                ].join('\n'),
            )
            .appendTo(document.head);
    }

    /** The dialog's form (a node's, or a config node's). */
    function dialogForm() {
        const form = $('#dialog-form, #node-config-dialog-edit-form').filter(':visible').last();
        return form.length ? form : $('#node-config-dialog-edit-form, #dialog-form').last();
    }

    /**
     * Shows each yes/no select of the dialog (a `data-sis-flag` row) as a checkbox. The select stays
     * in the page, hidden, as the field Node-RED reads and writes, so the stored value remains the
     * string `"yes"` or `"no"` that existing flows hold; the checkbox only mirrors it, and a change
     * of the checkbox fires `change` on the select for handlers that watch it.
     * @param {string} type node type
     */
    function checkboxes(type) {
        dialogForm()
            .find('select')
            .each(function () {
                const select = $(this);
                const values = select
                    .find('option')
                    .map(function () {
                        return $(this).val();
                    })
                    .get()
                    .sort()
                    .join(',');
                if (values !== 'no,yes' || select.data('sis-checkbox')) return;
                const row = select.closest('.form-row');
                const label = row.children('label').first();
                const id = select.attr('id');
                const box = $('<input type="checkbox">').attr('id', `${id}-check`);
                select.hide().data('sis-checkbox', box);
                row.addClass('sis-check');
                const spacer = $('<label>&nbsp;</label>');
                label.attr('for', `${id}-check`).addClass('sis-check-label').find('i.fa').remove();
                spacer.insertBefore(label);
                box.insertBefore(label);
                box.prop('checked', select.val() === 'yes');
                box.on('change', () => select.val(box.prop('checked') ? 'yes' : 'no').trigger('change'));
                select.on('change', () => box.prop('checked', select.val() === 'yes'));
                if (row.css('padding-left') === '20px' || label.css('padding-left') === '20px') {
                    // Indented as an option of the row above: the checkbox sits 20 px further in.
                    spacer.css({ 'padding-left': '20px', width: '130px' });
                    label.css('padding-left', '0');
                }
                void type;
            });
    }

    /**
     * Tooltips from the catalogue: the label of `#node-input-<field>` (or `#node-config-input-<field>`)
     * gets `<type>.tooltip.<field>` when the catalogue has it, as a hover tooltip.
     *
     * @param {object} node the node being edited (its `_` translates with its own catalogue)
     * @param {string} type node type
     */
    function tips(node, type) {
        dialogForm()
            .find('.form-row')
            .each(function () {
                const row = $(this);
                const control = row.find('[id^="node-input-"], [id^="node-config-input-"]').first();
                if (!control.length) return;
                const field = control.attr('id').replace(/^node-(config-)?input-/, '');
                const key = `${type}.tooltip.${field}`;
                const text = node._(key);
                if (!text || text === key || row.data('sis-tip')) return;
                row.data('sis-tip', true);
                const target = row.children('label').last();
                if (RED.popover && RED.popover.tooltip) RED.popover.tooltip(target, text);
                target.attr('title', text);
                if (control.attr('type') === 'checkbox' || control.is('select')) {
                    row.find('input[type="checkbox"]').attr('title', text);
                }
            });
    }

    /**
     * Folds the rows with class `sis-fold-<group>` under a header row `<div class="form-row sis-fold"
     * data-fold="<group>">`; they open at once when one of them holds a value other than its
     * default, so nothing set is hidden.
     * @param {object} node the node being edited
     */
    function folds(node) {
        dialogForm()
            .find('.sis-fold[data-fold]')
            .each(function () {
                const header = $(this);
                const rows = dialogForm().find(`.sis-fold-${header.data('fold')}`);
                const defaults = (node._def && node._def.defaults) || {};
                const set = rows.toArray().some((row) => {
                    const input = $(row).find('input[id], select[id]').first();
                    if (!input.length) return false;
                    const field = input.attr('id').replace(/^node-(config-)?input-/, '');
                    const def = defaults[field] ? String(defaults[field].value) : '';
                    return String(input.val() ?? '') !== def;
                });
                const icon = header.find('i.fa').first();
                const show = (open) => {
                    rows.toggle(open);
                    icon.toggleClass('fa-caret-right', !open).toggleClass('fa-caret-down', open);
                    header.data('open', open);
                };
                header.on('click', () => show(!header.data('open')));
                show(set);
            });
    }

    /**
     * The input and output property rows as typed inputs, as Node-RED's core nodes have them:
     * `#node-input-inputField` (with its type in `#node-input-inputFieldType`) takes a msg, flow,
     * global or env property; `#node-input-outputField` a msg property. Both default to payload.
     */
    function typedInputs() {
        const input = $('#node-input-inputField');
        if (input.length && !input.data('sis-typed')) {
            input.data('sis-typed', true);
            if (!input.val()) input.val('payload');
            const type = $('#node-input-inputFieldType');
            if (!type.val()) type.val('msg');
            input.typedInput({ default: 'msg', types: ['msg', 'flow', 'global', 'env'], typeField: type });
        }
        const output = $('#node-input-outputField');
        if (output.length && !output.data('sis-typed')) {
            output.data('sis-typed', true);
            if (!output.val()) output.val('payload');
            output.typedInput({ default: 'msg', types: ['msg'] });
        }
    }

    /**
     * Everything a node dialog of the package gets: the styles, checkboxes, tooltips and folds.
     * Call it at the end of `oneditprepare`.
     * @param {object} node
     */
    function dialog(node) {
        addStyles();
        dialogForm().addClass('sis-dialog');
        typedInputs();
        checkboxes(node.type);
        tips(node, node.type);
        folds(node);
    }

    const CONFIG_FIELDS = [
        'region',
        'projectId',
        'authType',
        'endpoint',
        'iamEndpoint',
        'obsEndpoint',
        'obsBucket',
        'maxConcurrent',
        'timeout',
        'maxRetries',
        'caFile',
    ];
    const CONFIG_CREDENTIALS = ['ak', 'sk', 'securityToken', 'username', 'password', 'domainName'];

    /**
     * What the config dialog holds, for the Test button: its settings and credentials as typed
     * (an untouched password field holds `__PWRD__`: the route takes the deployed one for it).
     */
    function configValues() {
        const value = (field) => {
            const v = $(`#node-config-input-${field}`).val();
            return v === undefined || v === null ? '' : String(v);
        };
        const out = { credentials: {} };
        CONFIG_FIELDS.forEach((f) => {
            out[f] = value(f);
        });
        CONFIG_CREDENTIALS.forEach((f) => {
            out.credentials[f] = value(f);
        });
        return out;
    }

    /**
     * The config dialog: the shared dialog polish, and a Test result that is cleared by every change
     * of a field (it speaks of the values it was given, not of new ones).
     * @param {object} node
     */
    function configDialog(node) {
        dialog(node);
        dialogForm()
            .find('input, select')
            .on('input change', () => {
                $('#sis-config-test-result').removeClass('sis-test-ok sis-test-failed').text('');
            });
    }

    global.SisEditor = {
        fill,
        expand,
        template,
        dialog,
        checkboxes,
        tips,
        folds,
        configValues,
        configDialog,
        typedInputs,
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
