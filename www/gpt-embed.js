// @ts-check
// Host-side helper for embed.html iframes (EMBEDDING.md). Include it with a plain script tag:
//   <script src="https://your.site/gpt/gpt-embed.js"></script>
//   <iframe data-gpt-embed src="https://your.site/gpt/embed.html?v=1&panels=attention"></iframe>
// It resizes each such iframe to its content (the embed's `height` messages), re-dispatches every
// message as a DOM event on the iframe (`gpt-ready`, `gpt-status`, `gpt-progress`, …), and offers
// GptEmbed.send(iframe, type, fields) to drive it. Messages are taken only from the iframe's own
// window and origin. It defines one global, GptEmbed, and touches nothing else of the page.
/**
 * @typedef {object} GptEmbed The global this script defines.
 * @property {(iframe: HTMLIFrameElement, type: string, fields?: Record<string, unknown>) => Promise<unknown>} send
 * @property {() => HTMLIFrameElement[]} frames
 */
/** @typedef {{source: 'gpt-playground', type: string, requestId?: string | null, ok?: boolean, value?: unknown, error?: string, height?: number}} EmbedMessage A message from embed.html. */
(function () {
  'use strict';
  if (/** @type {Window & {GptEmbed?: GptEmbed}} */ (window).GptEmbed) return;

  /** The embed iframes on the page (marked with data-gpt-embed). @returns {HTMLIFrameElement[]} */
  function frames() {
    return Array.prototype.slice.call(document.querySelectorAll('iframe[data-gpt-embed]'));
  }

  /** @param {HTMLIFrameElement} iframe */
  function originOf(iframe) {
    try {
      return new URL(iframe.src, location.href).origin;
    } catch (e) {
      return null;
    }
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (!data || data.source !== 'gpt-playground' || typeof data.type !== 'string') return;
    var iframe = frames().filter(function (f) { return f.contentWindow === event.source; })[0];
    if (!iframe || event.origin !== originOf(iframe)) return;
    if (data.type === 'height' && typeof data.height === 'number' && !iframe.hasAttribute('data-gpt-fixed-height')) {
      iframe.style.height = Math.max(0, Math.ceil(data.height)) + 'px';
    }
    iframe.dispatchEvent(new CustomEvent('gpt-' + data.type, { detail: data }));
  });

  var nextRequest = 1;
  /** @type {Window & {GptEmbed?: GptEmbed}} */ (window).GptEmbed = {
    /** Sends `{type, ...fields}` to an embed iframe; resolves with its `result` reply. */
    send: function (iframe, type, fields) {
      var requestId = 'r' + nextRequest++;
      var message = Object.assign({}, fields || {}, { type: type, requestId: requestId });
      return new Promise(function (resolve, reject) {
        /** @param {CustomEvent<EmbedMessage>} e */
        function onResult(e) {
          if (e.detail.requestId !== requestId) return;
          iframe.removeEventListener('gpt-result', /** @type {EventListener} */ (onResult));
          if (e.detail.ok) resolve(e.detail.value);
          else reject(new Error(e.detail.error));
        }
        iframe.addEventListener('gpt-result', /** @type {EventListener} */ (onResult));
        // A detached iframe has no window: the TypeError then rejects this promise.
        /** @type {Window} */ (iframe.contentWindow).postMessage(message, originOf(iframe) || '*');
      });
    },
    frames: frames,
  };
})();
