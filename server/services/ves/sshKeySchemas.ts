// Shapes of a VE's SSH keys as the admin and portal procedures show them.
import { z } from 'zod';

export const SshKeyOutput = z.object({
  id: z.string(),
  type: z.string().describe('ssh-ed25519, ssh-rsa, ecdsa-sha2-…'),
  fingerprint: z.string().describe('SHA256:… as ssh-keygen -l prints it'),
  comment: z.string().nullable(),
  createdAt: z.string(),
});

export const SshKeyTaskOutput = z.object({ taskId: z.string().describe('The ve.sshkeys task writing /root/.ssh/authorized_keys'), key: SshKeyOutput });

export const AddSshKeyFields = z.object({ publicKey: z.string().min(1).max(16_384).describe('One OpenSSH public key line: "ssh-ed25519 AAAA… comment"') });
export const RemoveSshKeyFields = z.object({ keyId: z.string().min(1).max(64) });
