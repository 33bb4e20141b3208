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
        /<div class="form-row([^"]*)" data-sis-(flag|select|input|vocabulary)="(\w+)"((?: data-sis-[a-z]+(?:="[^"]*")?)*)><\/div>/g;

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
            if (kind === 'vocabulary') {
                // A text box (an id, name:<name> or ${ENV}) that searches the account's vocabularies,
                // a button that reloads them, and a line for the chosen one's language and size.
                control =
                    `<input type="text" id="${id}" style="width: calc(70% - 40px)">` +
                    ` <button type="button" class="red-ui-button sis-vocabulary-reload"><i class="fa fa-refresh"></i></button>` +
                    `\n        <div class="form-tips sis-vocabulary-info" style="margin: 4px 0 0 104px; max-width: calc(70% - 40px)"></div>`;
            }
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

    // ---------------------------------------------------------------------------------------------
    // Hot-word vocabularies: the rules, the admin routes, the picker and the word editor
    // ---------------------------------------------------------------------------------------------

    /** The service's rules for words (`RED.settings.sisVocabularyRules`, from the runtime's tables). */
    function rules() {
        const r = (typeof RED !== 'undefined' && RED.settings && RED.settings.sisVocabularyRules) || {};
        return {
            word: new RegExp(r.word || '^[A-Za-z\\p{Script=Han}]+$', 'u'),
            name: new RegExp(r.name || '^[A-Za-z0-9_#-]+$'),
            maxWords: r.maxWords || 10000,
            maxWordBytes: r.maxWordBytes || 32,
            maxNameBytes: r.maxNameBytes || 32,
        };
    }

    /** The package's shared catalogue (the config node's): each node type has its own namespace. */
    const SHARED = 'node-red-contrib-huaweicloud-sis/sis-config:';

    /** A text of the shared catalogue, `sis-config.<key>`. */
    function shared(key, subs) {
        return RED._(`${SHARED}sis-config.${key}`, subs);
    }

    function bytes(text) {
        return new TextEncoder().encode(text).length;
    }

    /**
     * What is wrong with one word (a catalogue key below sis-config.vocabulary.problem), or ''.
     * @param {string} word
     */
    function wordProblem(word) {
        const r = rules();
        if (word === '') return 'empty';
        if (!r.word.test(word)) return /\d/.test(word) ? 'digits' : /\s/.test(word) ? 'spaces' : 'characters';
        if (bytes(word) > r.maxWordBytes) return 'too-long';
        return '';
    }

    /**
     * The lines of a word list, each with its problem: [{ line, word, problem }] for every bad one.
     * Blank lines are skipped (they are not words).
     * @param {string} text one word per line
     */
    function checkWordLines(text) {
        const words = [];
        const bad = [];
        text.split('\n').forEach((raw, i) => {
            const word = raw.trim();
            if (word === '') return;
            words.push(word);
            const problem = wordProblem(word);
            if (problem) bad.push({ line: i + 1, word, problem });
        });
        return { words, bad, tooMany: words.length > rules().maxWords };
    }

    /** `vocabulary_id` in a node: empty, an id, name:<name>, or a whole ${ENV_VAR}. */
    function validVocabularyId(value) {
        return /^(?:[\w-]*|name:\S.*|\$\{\w+\})$/.test(String(value || ''));
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
    const CREDENTIALS = ['ak', 'sk', 'securityToken', 'username', 'password', 'domainName'];

    /** The values of a config node not deployed as it is (its settings and typed credentials). */
    function draftOf(cfg) {
        const draft = { credentials: {} };
        CONFIG_FIELDS.forEach((f) => {
            if (cfg[f] !== undefined) draft[f] = cfg[f];
        });
        const creds = cfg.credentials || {};
        CREDENTIALS.forEach((c) => {
            if (typeof creds[c] === 'string' && creds[c] !== '') draft.credentials[c] = creds[c];
        });
        return draft;
    }

    /** The values typed in the open config dialog (inputs #node-config-input-<field>). */
    function draftFromDialog() {
        const draft = { credentials: {} };
        CONFIG_FIELDS.forEach((f) => {
            const el = $(`#node-config-input-${f}`);
            if (el.length) draft[f] = el.val();
        });
        CREDENTIALS.forEach((c) => {
            const v = $(`#node-config-input-${c}`).val();
            if (typeof v === 'string' && v !== '') draft.credentials[c] = v;
        });
        return draft;
    }

    /**
     * Calls a vocabulary admin route of config node `cfgId`: `draft` (settings and credentials not
     * deployed) makes it the POST/PUT form, which needs sis-config.write; without it, the deployed
     * configuration is used through GET (sis-config.read).
     * @returns {Promise<object>} the answer, or a rejection { code, message } already translated
     */
    function callVocabularies(cfgId, what, draft, vocabulary) {
        const base = `sis-config/${encodeURIComponent(cfgId)}/vocabularies`;
        let request;
        if (what.save) {
            request = {
                url: what.id ? `${base}/${encodeURIComponent(what.id)}` : base,
                type: what.id ? 'PUT' : 'POST',
                data: JSON.stringify({ vocabulary, config: draft }),
                contentType: 'application/json',
            };
        } else if (draft) {
            request = {
                url: what.id ? `${base}/${encodeURIComponent(what.id)}/get` : `${base}/list`,
                type: 'POST',
                data: JSON.stringify({ config: draft }),
                contentType: 'application/json',
            };
        } else {
            request = { url: what.id ? `${base}/${encodeURIComponent(what.id)}` : base, type: 'GET' };
        }
        return new Promise((resolve, reject) => {
            $.ajax(Object.assign({ dataType: 'json' }, request))
                .done(resolve)
                .fail((xhr) => {
                    const body = xhr.responseJSON || {};
                    const message =
                        body.message && body.message.indexOf('sis-config.') === 0
                            ? shared(body.message.slice('sis-config.'.length))
                            : body.message;
                    reject({
                        code: body.code || String(xhr.status),
                        message: message || '',
                        bad: body.bad_words || [],
                    });
                });
        });
    }

    /**
     * The hot-word picker of a recognition node's dialog (the row `data-sis-vocabulary`): the text
     * box searches the vocabularies of the selected configuration by name, keeps an id (or a typed
     * id, name:<name> or ${ENV}), shows the chosen one's language and word count, and warns when
     * its language does not suit the node's model.
     * @param {string} [field] default `vocabulary_id`
     */
    function vocabularyPicker(field) {
        const t = (key, subs) => shared(`vocabulary.${key}`, subs);
        const input = $(`#node-input-${field || 'vocabulary_id'}`);
        const row = input.closest('.form-row');
        const info = row.find('.sis-vocabulary-info');
        input.attr('placeholder', t('placeholder'));
        row.find('.sis-vocabulary-reload').attr('title', t('reload'));
        let list = [];
        let source = '';
        const details = {};

        function show(text, warn) {
            info.empty();
            if (!text) return;
            $('<span>')
                .text(text)
                .toggleClass('sis-vocabulary-warning', Boolean(warn))
                .css('color', warn ? 'var(--red-ui-text-color-error, #d61818)' : '')
                .appendTo(info);
        }

        function configId() {
            return $('#node-input-config').val();
        }

        function draftFor(cfg) {
            return cfg && cfg.changed ? draftOf(cfg) : undefined;
        }

        function model() {
            return String($('#node-input-property').val() || '');
        }

        function describe() {
            const value = String(input.val() || '').trim();
            if (value === '') return show(source ? t('none', { count: list.length }) : '');
            if (/^\$\{\w+\}$/.test(value)) return show(t('from-env'));
            const found =
                value.indexOf('name:') === 0
                    ? list.find((v) => v.name === value.slice(5).trim())
                    : list.find((v) => v.vocabulary_id === value);
            if (!found) return show(source === 'ok' ? t('unknown') : '', source === 'ok');
            const d = details[found.vocabulary_id];
            const language = (d && d.language) || found.language || '';
            let text = d
                ? t('summary', { name: found.name, language, count: d.contents.length })
                : t('summary-short', { name: found.name, language });
            const m = model();
            const mismatch =
                (language.indexOf('chinese') === 0 && m.indexOf('english_') === 0) ||
                (language.indexOf('english') === 0 && m.indexOf('chinese_') === 0);
            if (mismatch) text += ` — ${t('mismatch', { language, model: m })}`;
            show(text, mismatch);
            if (!d) {
                const cfgId = configId();
                callVocabularies(cfgId, { id: found.vocabulary_id }, draftFor(RED.nodes.node(cfgId)))
                    .then((answer) => {
                        details[found.vocabulary_id] = answer.vocabulary;
                        describe();
                    })
                    .catch(() => undefined);
            }
        }

        function load() {
            const cfgId = configId();
            const cfg = cfgId && cfgId !== '_ADD_' ? RED.nodes.node(cfgId) : null;
            list = [];
            source = '';
            if (!cfg) return show(t('no-config'));
            show(t('loading'));
            return callVocabularies(cfgId, {}, draftFor(cfg)).then(
                (answer) => {
                    list = answer.vocabularies || [];
                    source = 'ok';
                    describe();
                },
                (err) => {
                    source = 'failed';
                    show(`${t('failed')} ${err.code}${err.message ? `: ${err.message}` : ''}`, true);
                },
            );
        }

        input.autocomplete({
            minLength: 0,
            source: (request, respond) => {
                const term = String(request.term || '').toLowerCase();
                respond(
                    list
                        .filter(
                            (v) =>
                                term === '' ||
                                v.name.toLowerCase().indexOf(term) >= 0 ||
                                v.vocabulary_id.toLowerCase().indexOf(term) === 0,
                        )
                        .map((v) => ({
                            label: `${v.name}${v.language ? ` (${v.language})` : ''}`,
                            value: v.vocabulary_id,
                        })),
                );
            },
            select: (_e, ui) => {
                input.val(ui.item.value);
                describe();
                return false;
            },
        });
        input.on('focus click', () => {
            if (list.length) input.autocomplete('search', '');
        });
        input.on('input change', describe);
        $('#node-input-property').on('change', describe);
        $('#node-input-config').on('change', load);
        row.find('.sis-vocabulary-reload').on('click', load);
        load();
        return { reload: load, describe };
    }

    /**
     * The vocabulary section of the sis-config dialog: pick one of the account's vocabularies (or
     * a new one), see and edit its words one per line with every bad word marked as it is typed,
     * and save. Uses the dialog's values, deployed or not.
     * @param {object} node the config node being edited
     */
    function vocabularyEditor(node) {
        const t = (key, subs) => shared(`vocabulary.${key}`, subs);
        const box = $('#sis-config-vocabularies');
        const select = box.find('.sis-vocabulary-select');
        const area = box.find('.sis-vocabulary-words');
        const marks = box.find('.sis-vocabulary-marks');
        const name = box.find('.sis-vocabulary-name');
        const description = box.find('.sis-vocabulary-description');
        const result = box.find('.sis-vocabulary-result');
        const save = box.find('.sis-vocabulary-save');
        const editor = box.find('.sis-vocabulary-editor');
        let current = null;

        function say(text, error) {
            result.text(text || '').css('color', error ? 'var(--red-ui-text-color-error, #d61818)' : '');
        }

        function mark() {
            const checked = checkWordLines(String(area.val() || ''));
            marks.empty();
            checked.bad.forEach((b) => {
                $('<li class="sis-vocabulary-bad">')
                    .attr('data-line', b.line)
                    .text(t('bad-line', { line: b.line, word: b.word, problem: t(`problem.${b.problem}`) }))
                    .appendTo(marks);
            });
            const nameOk =
                rules().name.test(String(name.val() || '')) && bytes(String(name.val())) <= rules().maxNameBytes;
            name.toggleClass('input-error', !nameOk);
            area.toggleClass('input-error', checked.bad.length > 0 || checked.tooMany);
            box.find('.sis-vocabulary-count').text(
                checked.tooMany
                    ? t('too-many', { count: checked.words.length, max: rules().maxWords })
                    : t('count', { count: checked.words.length }),
            );
            const ok = nameOk && checked.bad.length === 0 && !checked.tooMany && checked.words.length > 0;
            save.prop('disabled', !ok);
            return ok ? checked.words : null;
        }

        function fail(err) {
            say(`${t('failed')} ${err.code}${err.message ? `: ${err.message}` : ''}`, true);
        }

        function load(selectId) {
            say(t('loading'));
            return callVocabularies(node.id, {}, draftFromDialog()).then((answer) => {
                const items = [{ value: '', label: t('new') }].concat(
                    (answer.vocabularies || []).map((v) => ({ value: v.vocabulary_id, label: v.name })),
                );
                fill(select, items, selectId || '');
                say(t('loaded', { count: items.length - 1 }));
            }, fail);
        }

        function open() {
            const id = select.val();
            editor.show();
            if (!id) {
                current = null;
                name.val('').prop('disabled', false);
                description.val('');
                area.val('');
                mark();
                return;
            }
            say(t('loading'));
            callVocabularies(node.id, { id }, draftFromDialog()).then((answer) => {
                current = answer.vocabulary;
                name.val(current.name);
                description.val(current.description || '');
                area.val(current.contents.join('\n'));
                mark();
                say(t('summary', { name: current.name, language: current.language, count: current.contents.length }));
            }, fail);
        }

        function store() {
            const words = mark();
            if (!words) return;
            const vocabulary = {
                name: String(name.val()),
                description: String(description.val() || ''),
                language: (current && current.language) || 'chinese_mandarin',
                contents: words,
            };
            say(t('saving'));
            callVocabularies(
                node.id,
                { save: true, id: current && current.vocabulary_id },
                draftFromDialog(),
                vocabulary,
            )
                .then((answer) => {
                    current = Object.assign({ vocabulary_id: answer.vocabulary_id }, vocabulary);
                    return load(answer.vocabulary_id).then(() => say(t('saved', { count: answer.count })));
                })
                .catch((err) => {
                    if (err && err.bad && err.bad.length) {
                        say(t('refused', { count: err.bad.length }), true);
                    } else fail(err);
                });
        }

        box.find('.sis-vocabulary-load').on('click', () => load(select.val()));
        box.find('.sis-vocabulary-open').on('click', open);
        area.on('input', mark);
        name.on('input', mark);
        save.on('click', store);
        editor.hide();
        return { load, open, store, mark };
    }

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
        vocabularyPicker,
        vocabularyEditor,
        validVocabularyId,
        checkWordLines,
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
