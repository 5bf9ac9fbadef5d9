// @ts-check
// Who may drive an embed (embed.html) and where its messages go: pure rules, tested in Node
// (tests/state.test.mjs), because browsers differ in what they tell a frame about its parent.

/**
 * The origin of the page that embeds a frame, as far as the browser tells: `ancestorOrigins`
 * (location.ancestorOrigins: Chromium, WebKit and Firefox ESR 153 have it; older Firefox releases do not)
 * first, else the origin of `referrer` (document.referrer, which the default referrer policy
 * gives a cross-origin frame as the embedding page's origin); null when neither tells, or when
 * the frame is not embedded (`framed` false).
 */
/** @param {{framed: boolean, ancestorOrigins?: ArrayLike<string> | null, referrer?: string}} where */
export function embeddingOrigin({ framed, ancestorOrigins, referrer }) {
  if (!framed) return null;
  const ancestor = ancestorOrigins?.[0];
  if (ancestor && ancestor !== 'null') return ancestor;
  try {
    return referrer ? new URL(referrer).origin : null;
  } catch {
    return null;
  }
}

/**
 * Which origins may drive an embed (embed.html's `origins=`): the listed ones (comma-separated;
 * `*` for any) when given, otherwise the embedding page's own origin `parent`, or only `own`
 * (the embed's origin) when the parent's is unknown.
 */
/** @param {string | null | undefined} param @param {string | null} parent @param {string} own @returns {string[]} */
export function allowedOrigins(param, parent, own) {
  if (param !== null && param !== undefined && param.trim() !== '') {
    return param.split(',').map((s) => s.trim()).filter(Boolean).map((o) => (o === '*' ? o : o.replace(/\/+$/, '')));
  }
  return [parent ?? own];
}
