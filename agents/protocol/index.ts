/**
 * vzagent wire protocol: JSON lines over a byte stream, shared by agents/src and server/nodes.
 * Imports zod only. Adding a method: create methods/<domain>.ts with `defineMethod` entries and
 * spread it into methods/index.ts; new optional behaviour also gets a name in capabilities.ts.
 */
import type { z } from 'zod';
import { methods } from './methods/index';

export * from './version';
export * from './errors';
export * from './envelope';
export * from './capabilities';
export * from './define';
export * from './redact';
export * from './lines';
export * from './methods/core';
export { TEMPLATE_CHUNK_MAX } from './methods/template-receive';
export { methods };

export type Methods = typeof methods;
export type MethodName = keyof Methods & string;
/** Params as the handler sees them (after zod defaults). */
export type ParamsOf<M extends MethodName> = z.output<Methods[M]['params']>;
/** Params as a caller may send them (defaults optional). */
export type ParamsIn<M extends MethodName> = z.input<Methods[M]['params']>;
export type ResultOf<M extends MethodName> = z.output<Methods[M]['result']>;

export const isMethodName = (name: string): name is MethodName => Object.hasOwn(methods, name);
