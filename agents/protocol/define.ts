import type { z } from 'zod';

/** One RPC method: its params and result schemas, and whether it changes node state (locks + journal). */
export interface MethodDef<P extends z.ZodType = z.ZodType, R extends z.ZodType = z.ZodType> {
  params: P;
  result: R;
  mutating: boolean;
  /** One line for docs and `vzagent call --help`. */
  description?: string;
}

/** Identity helper that keeps the exact zod types of a method definition. */
export const defineMethod = <P extends z.ZodType, R extends z.ZodType>(def: MethodDef<P, R>): MethodDef<P, R> => def;

/** A domain's method table: `{ 've.create': defineMethod({...}), ... }`. */
export type MethodTable = Record<string, MethodDef>;
