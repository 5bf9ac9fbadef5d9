// The explainer panels, in the tutorial's order. Each is its own module with a `mount(root, ctx)`
// export; the page creates the panel's root `<section data-panel=NAME>` (with its heading) and
// loads the module only when the panel is shown. See README.md in this folder for the contract.
export const PANELS = [
  { name: 'tokenizer', title: 'Tokenizer', load: () => import('./tokenizer.js') },
  { name: 'embedding', title: 'Embedding layer', load: () => import('./embedding.js') },
  { name: 'attention', title: 'Self-attention', load: () => import('./attention.js') },
  { name: 'mask', title: 'Masked (causal) self-attention', load: () => import('./mask.js') },
  { name: 'residual', title: 'Residual connections and LayerNorm', load: () => import('./residual.js') },
  { name: 'finetune', title: 'Pre-training, then fine-tuning', load: () => import('./finetune.js') },
  { name: 'generation', title: 'Autoregressive generation', load: () => import('./generation.js') },
  { name: 'scale', title: 'GPT-1 → GPT-2 → GPT-3', load: () => import('./scale.js') },
];

/** The panels named in a `panels=a,b` URL parameter (all of them when absent), in the tutorial's
 *  order, and the names that matched none. */
export function choosePanels(param) {
  if (param === null || param === undefined || param.trim() === '') return { chosen: PANELS, unknown: [] };
  const wanted = param.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const known = new Set(PANELS.map((p) => p.name));
  const setup = new Set(['data', 'model', 'train']);
  return {
    chosen: PANELS.filter((p) => wanted.includes(p.name)),
    unknown: wanted.filter((w) => !known.has(w) && !setup.has(w)),
    setup: wanted.filter((w) => setup.has(w)),
  };
}
