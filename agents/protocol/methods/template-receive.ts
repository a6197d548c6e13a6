import { z } from 'zod';
import { defineMethod } from '../define';
import { TemplateManifestSchema, TemplateName } from './ve';

/*
 * Template distribution (issue 16): the panel pushes a template tarball into a node's cache in
 * chunks over the ordinary RPC stream (works the same over the local and the SSH transport):
 * begin (manifest) -> chunk* (in order, base64) -> commit (size + sha256 checked, renamed into the
 * cache under manifest.name) or abort. Nothing is in the cache until commit; a transfer that
 * fails, is aborted or sits idle for 10 minutes leaves no file. template.read is the other way
 * (a node's own build pulled into the panel's store). Feature `template-receive`.
 */

/** Largest chunk a call may carry (decoded bytes); the JSON line stays well under MAX_LINE_BYTES. */
export const TEMPLATE_CHUNK_MAX = 4 * 1024 * 1024;
const TransferId = z.string().regex(/^[0-9a-f]{32}$/);

export const templateReceiveMethods = {
  'template.receive.begin': defineMethod({
    params: z.object({ manifest: TemplateManifestSchema }),
    result: z.object({
      have: z.boolean().describe('the cache already holds this name with this sha256: nothing to send'),
      transfer: TransferId.optional().describe('id for chunk/commit/abort (absent when have)'),
    }),
    mutating: false,
    description: 'Start receiving a template tarball into the cache (or say it is already there with that checksum).',
  }),
  'template.receive.chunk': defineMethod({
    params: z.object({ transfer: TransferId, offset: z.number().int().nonnegative(), data: z.string().max(Math.ceil(TEMPLATE_CHUNK_MAX / 3) * 4).describe('base64') }),
    result: z.object({ received: z.number().int().nonnegative() }),
    mutating: false,
    description: 'Append the next bytes of a transfer (offset must be what was received so far).',
  }),
  'template.receive.commit': defineMethod({
    params: z.object({ transfer: TransferId }),
    result: TemplateManifestSchema,
    mutating: false,
    description: 'Check size and sha256 of a transfer and install it in the cache atomically.',
  }),
  'template.receive.abort': defineMethod({
    params: z.object({ transfer: TransferId }),
    result: z.object({ aborted: z.boolean() }),
    mutating: false,
    description: 'Drop a transfer and its temp file.',
  }),
  'template.read': defineMethod({
    params: z.object({ name: TemplateName, offset: z.number().int().nonnegative(), length: z.number().int().positive().max(TEMPLATE_CHUNK_MAX) }),
    result: z.object({ data: z.string().describe('base64'), eof: z.boolean(), manifest: TemplateManifestSchema }),
    mutating: false,
    description: 'Read part of a cached template tarball (the panel copies a node-built template into its store).',
  }),
};
