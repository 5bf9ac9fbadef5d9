// lib/elements.js: importing it defines <gpt-playground> and <gpt-panel>, and exports their
// classes and the Playground.
import type { Playground, Settings } from './playground.js';

export { Playground } from './playground.js';

/** The attributes of <gpt-playground> as properties (lib/state.js declares them; types.test.mjs
 *  checks this list against it). A setting reads as the playground's current value; writing a
 *  property sets the attribute (null, undefined or false removes it). */
export interface GptPlaygroundAttributes extends Settings {
  autotrain: boolean;
  panels: string | null;
  layout: 'cards' | 'bar';
  dataHide: boolean;
  modelHide: boolean;
  trainHide: boolean;
  chartHide: boolean;
  corpusHide: boolean;
  presetHide: boolean;
  tokenizerHide: boolean;
  deviceHide: boolean;
  workersHide: boolean;
  stepsHide: boolean;
  saveHide: boolean;
  titleHide: boolean;
  /** The IndexedDB key the reader's run is kept under (`autosave` attribute). */
  autosave: string | null;
}

/** `<gpt-playground>`: one reader's model. Every attribute is observed, applied when it changes
 *  or is removed, and reflected as a property (GptPlaygroundAttributes). */
export declare class GptPlaygroundElement extends HTMLElement {
  /** The Playground behind the element; null while it is not in the page. */
  readonly playground: Playground | null;
  /** Resolves when the cards are drawn and the model code is loaded. */
  readonly ready: Promise<void>;
  /** Ends this playground: its worker, its model and every panel attached to it. */
  destroy(): void;
}
export interface GptPlaygroundElement extends GptPlaygroundAttributes {}

/** `<gpt-panel name="…" playground="ID">`: one panel of a playground on the page. */
export declare class GptPanelElement extends HTMLElement {
  readonly panel: (HTMLElement & { panelData?: unknown }) | null;
  readonly ready: Promise<void>;
}

declare global {
  interface HTMLElementTagNameMap {
    'gpt-playground': GptPlaygroundElement;
    'gpt-panel': GptPanelElement;
  }
}
