// Stricter checks for values a billing system sends toward a node (on top of services/ves/validate).
import { z } from 'zod';
import { SshKey } from '@/server/services/ves/validate';

// eslint-disable-next-line no-control-regex -- refusing control characters (newline, NUL…) is the point
export const NO_CONTROL = /^[^\u0000-\u001f\u007f]+$/;

/** Template names as the agent accepts them: lower-case letters, digits, . _ -; no leading dot or dash, no slash. */
export const TemplateName = z.string().max(64).regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a template name (a-z, 0-9, . _ -, starting with a letter or digit)')
  .refine((s) => !s.includes('..'), 'no ".." in a template name');

// A key comment ends up in authorized_keys: keep it to plain characters so nothing shell-like rides along.
// No leading dash and no "..": harmless in that file, but nothing a comment needs either.
const COMMENT = /^([A-Za-z0-9@_+=:,][A-Za-z0-9@._+=:,/ -]{0,199})?$/;

/** One OpenSSH public key line whose comment (if any) holds only plain characters. */
export const BillingSshKey = SshKey.refine((k) => {
  const comment = k.trim().split(' ').slice(2).join(' ');
  return COMMENT.test(comment) && !comment.includes('..');
}, 'SSH key comment may hold only letters, digits, spaces and @ . _ + = : , / - (no leading dash, no "..")');
