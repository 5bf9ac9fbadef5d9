// The published declarations (www/types/*.d.ts) checked against the source they describe
// (www/lib/*.js, read by TypeScript through its JSDoc): an export, a member or a type that
// drifts fails `tsc` here (types.test.mjs runs it in `make test`).
import type * as implPlayground from '../../www/lib/playground.js';
import type * as declPlayground from '../../www/types/playground.js';
import type * as implElements from '../../www/lib/elements.js';
import type * as declElements from '../../www/types/elements.js';

/** true when A and B are related: one is assignable to the other. The source's JSDoc is often
 *  looser (string where the declaration says 'cpu' | 'webgpu'), so one direction is enough; a
 *  declaration of another shape (arrays for History objects, void for a Promise) fails both. */
type Mutual<A, B> = [A] extends [B] ? true : [B] extends [A] ? true : false;
type Assert<T extends true> = T;
/** The names of K in A and not in B. */
type Missing<A, B> = Exclude<keyof A, keyof B>;
type None<T> = [T] extends [never] ? true : { missing: T };

// Every value the modules export is declared, and everything declared is exported.
export type PlaygroundExports = Assert<None<Missing<typeof implPlayground, typeof declPlayground>>>;
export type PlaygroundDeclared = Assert<None<Missing<typeof declPlayground, typeof implPlayground>>>;
export type ElementsExports = Assert<None<Missing<typeof implElements, typeof declElements>>>;
export type ElementsDeclared = Assert<None<Missing<typeof declElements, typeof implElements>>>;

// The Playground's public members: the same names, and where the source says a type, the same type
// (a method's result; a property's value).
type Impl = implPlayground.Playground;
type Decl = declPlayground.Playground;
export type MembersDeclared = Assert<None<Exclude<keyof Impl, keyof Decl>>>;
export type MembersExist = Assert<None<Exclude<keyof Decl, keyof Impl>>>;
type IsAny<T> = 0 extends 1 & T ? true : false;
type Agrees<A, B> = IsAny<A> extends true ? true : IsAny<B> extends true ? true : [A] extends [(...args: any[]) => any] ? AgreesFn<A, B> : Mutual<A, B>;
type AgreesFn<A, B> = A extends (...args: any[]) => infer R ? (B extends (...args: any[]) => infer S ? Mutual<Awaited<R>, Awaited<S>> extends true ? Mutual<R extends Promise<any> ? 1 : 0, S extends Promise<any> ? 1 : 0> : false : false) : Mutual<A, B>;
type Disagreeing = { [K in keyof Impl & keyof Decl]: Agrees<Impl[K], Decl[K]> extends true ? never : K }[keyof Impl & keyof Decl];
export type MembersAgree = Assert<None<Disagreeing>>;

// The elements: their members as declared (the lifecycle callbacks are the browser's; the
// reflected attributes are defined from the settings schema at run time, and types.test.mjs
// checks their list against it).
type Lifecycle = 'connectedCallback' | 'disconnectedCallback' | 'attributeChangedCallback';
type Own<T> = Exclude<keyof T, keyof HTMLElement | Lifecycle | keyof declElements.GptPlaygroundAttributes>;
// (`playground` is the Playground class, checked member by member above: a class with private
// fields is never assignable to its declaration.)
type Compared<I, D> = Exclude<Own<I> & Own<D>, 'playground'>;
type ElementChecks<I, D> = {
  declared: None<Exclude<Own<I>, Own<D>>>;
  exist: None<Exclude<Own<D>, Own<I>>>;
  agree: None<{ [K in Compared<I, D>]: Agrees<I[K], D[K]> extends true ? never : K }[Compared<I, D>]>;
};
type AllTrue<T> = T[keyof T] extends true ? true : T;
export type PlaygroundElement = Assert<AllTrue<ElementChecks<implElements.GptPlaygroundElement, declElements.GptPlaygroundElement>>>;
export type PanelElement = Assert<AllTrue<ElementChecks<implElements.GptPanelElement, declElements.GptPanelElement>>>;
