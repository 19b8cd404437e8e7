// ESLint for the pages' JavaScript (maps/static/gridmap), run by `make lint`.
// Rules that catch real bugs, not style: an undefined name (a typo, a global that a page does
// not load), an unused variable (dead code or a wrong name), == where === was meant, a name
// declared twice or hiding an outer one. The page modules run in the browser with Leaflet (L) loaded as a classic
// script before them; leaflet_defaults.js is itself a classic script (it must run before
// folium's inline map code, which module scripts would not).
import js from '@eslint/js';
import globals from 'globals';

const bugs = {
  'no-undef': 'error',
  'no-unused-vars': ['error', {args: 'after-used', caughtErrors: 'none'}],
  eqeqeq: ['error', 'smart'],
  'no-redeclare': 'error',
  // A local that hides an import or an outer name: a call meant for the import then hits the
  // local (compare.js had `var label` hiding the label() it meant to call).
  'no-shadow': 'error',
  'no-shadow-restricted-names': 'error',
  'no-implicit-globals': 'error',
  'no-use-before-define': ['error', {functions: false, classes: true, variables: false}],
  'no-self-compare': 'error',
  'no-template-curly-in-string': 'error',
  'no-unmodified-loop-condition': 'error',
  'no-unreachable-loop': 'error',
  'array-callback-return': 'error',
  'no-constructor-return': 'error',
  'no-promise-executor-return': 'error',
  radix: 'error',
  'no-eval': 'error',
  'no-implied-eval': 'error',
  'no-new-func': 'error',
};

// Rooms of a size one can hold (DESIGN.md conventions): a page module over 400 lines, or a
// function over 60, is split along its seams (edit.js was one 1,000-line closure). Blank lines
// and comments do not count. A module stays flat in maps/static/gridmap (maps/assets.py lists
// gridmap/*.js for the import map) and imports on one line each: `import {…} from './x.js';`,
// the form maps/assets.py reads to preload a page's modules.
const sizes = {
  'max-lines': ['error', {max: 400, skipBlankLines: true, skipComments: true}],
  'max-lines-per-function': ['error', {max: 60, skipBlankLines: true, skipComments: true, IIFEs: true}],
};

// maps/assets.py finds a page module's imports with /^import .* from '\.\/([\w.]+)';$/ to
// emit its modulepreload links: an import it cannot read is fetched late, one after another.
const oneLineImport = {
  meta: {type: 'problem', messages: {
    form: "Import on one line as `import {…} from './x.js';` (maps/assets.py reads that form).",
  }},
  create(context) {
    const source = context.sourceCode || context.getSourceCode();
    return {
      ImportDeclaration(node) {
        const text = source.getText(node);
        if (!/^import .* from '\.\/[\w.]+';$/.test(text)) context.report({node, messageId: 'form'});
      },
    };
  },
};

export default [
  {basePath: '../..'},
  {ignores: ['**/vendor/**']},
  js.configs.recommended,
  {
    files: ['maps/static/gridmap/**/*.js'],
    languageOptions: {
      ecmaVersion: 2017,
      sourceType: 'module',
      globals: {...globals.browser, L: 'readonly'},
    },
    plugins: {gridmap: {rules: {'one-line-import': oneLineImport}}},
    rules: {...bugs, ...sizes, 'gridmap/one-line-import': 'error'},
  },
  {
    files: ['maps/static/gridmap/leaflet_defaults.js'],
    languageOptions: {sourceType: 'script'},
  },
];
