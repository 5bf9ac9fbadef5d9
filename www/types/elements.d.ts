// lib/elements.js: importing it defines <gpt-playground> and <gpt-panel>.
export { GptPanelElement, GptPlaygroundElement, Playground } from './playground.js';
