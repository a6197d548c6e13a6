import { z } from 'zod';
import { defineMethod } from '../define';
import { TemplateName } from './ve';

export const TemplateRecipe = z.object({
  name: TemplateName,
  os: z.string(),
  version: z.string(),
  suite: z.string().describe('Debian codename the recipe debootstraps'),
  packages: z.array(z.string()).describe('packages on top of the minimal base'),
  available: z.boolean().describe('the node can build it now: its mirror serves the suite'),
  reason: z.string().optional().describe('why not, when not available'),
});

export const templateRecipeMethods = {
  'template.recipes': defineMethod({
    params: z.object({}).default({}),
    result: z.object({ mirror: z.string().nullable(), recipes: z.array(TemplateRecipe) }),
    mutating: false,
    description: 'Templates this node can build with template.build (feature template-recipes): busybox and each Debian recipe, checked against its mirror.',
  }),
};
