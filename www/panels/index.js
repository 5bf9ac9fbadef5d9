// @ts-check
// Every view a playground can show, in the tutorial's order: the setup cards (data, model, train,
// and `bar`, a compact training bar) and one explainer panel per tutorial concept. Each is its own
// module with a `mount(root, ctx)` export, loaded only when shown. See README.md in this folder.

/**
 * @typedef {object} View A view a playground can show.
 * @property {string} name
 * @property {string} title
 * @property {boolean} [setup] A setup card (data, model, train, bar), not an explainer panel.
 * @property {boolean} [wide] Spans the layout's width.
 * @property {boolean} [css] Ships `NAME.css` beside it.
 * @property {() => Promise<{mount: (root: HTMLElement, ctx: any) => any}>} load
 */

/** The setup cards: what the reader trains. @type {View[]} */
export const SETUP = [
  { name: 'data', title: 'Data', setup: true, load: () => import('./data.js') },
  { name: 'model', title: 'Model', setup: true, load: () => import('./model.js') },
  { name: 'train', title: 'Pre-train', setup: true, wide: true, load: () => import('./train.js') },
  { name: 'bar', title: 'Train the model', setup: true, wide: true, load: () => import('./bar.js') },
];

/** The explainer panels, one per tutorial concept. @type {View[]} */
export const PANELS = [
  { name: 'tokenizer', title: 'Tokenizer', css: true, load: () => import('./tokenizer.js') },
  { name: 'embedding', title: 'Embedding layer', css: true, load: () => import('./embedding.js') },
  { name: 'attention', title: 'Self-attention', css: true, load: () => import('./attention.js') },
  { name: 'mask', title: 'Masked (causal) self-attention', css: true, load: () => import('./mask.js') },
  { name: 'residual', title: 'Residual connections and LayerNorm', css: true, load: () => import('./residual.js') },
  { name: 'finetune', title: 'Pre-training, then fine-tuning', css: true, load: () => import('./finetune.js') },
  { name: 'generation', title: 'Autoregressive generation', css: true, load: () => import('./generation.js') },
  { name: 'scale', title: 'GPT-1 → GPT-2 → GPT-3', css: true, load: () => import('./scale.js') },
].map((p) => ({ ...p, wide: true }));

/** Every view by name. @type {View[]} */
export const VIEWS = [...SETUP, ...PANELS];

/** The view called `name`, or an Error that lists the valid names. @param {string} name */
export function findView(name) {
  const view = VIEWS.find((v) => v.name === name);
  if (!view) throw new Error(`unknown panel "${name}"; the panels are: ${VIEWS.map((v) => v.name).join(', ')}`);
  return view;
}

/** The stylesheet URLs a view needs (the shared one first), resolved from this module. @param {string} name */
export function stylesheets(name) {
  const view = findView(name);
  return [new URL('../lib/playground.css', import.meta.url).href, ...(view.css ? [new URL(`./${name}.css`, import.meta.url).href] : [])];
}

/** The panels named in a `panels=a,b` parameter (all explainer panels when absent), in the
 *  tutorial's order; the setup cards it names; and the names that matched nothing. */
/** @param {string | null | undefined} param */
export function choosePanels(param) {
  if (param === null || param === undefined || param.trim() === '') return { chosen: PANELS, unknown: [], setup: [] };
  const wanted = param.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const known = new Set(VIEWS.map((p) => p.name));
  return {
    chosen: PANELS.filter((p) => wanted.includes(p.name)),
    unknown: wanted.filter((w) => !known.has(w)),
    setup: SETUP.map((s) => s.name).filter((s) => wanted.includes(s)),
  };
}
