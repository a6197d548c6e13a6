// Request/response shapes of adding and removing a VE's extra address (admin tRPC and billing REST share them).
import { z } from 'zod';

export const AddAddressFields = z.object({
  family: z.union([z.literal(4), z.literal(6)]).default(4).describe('4 = IPv4, 6 = IPv6'),
  address: z.string().min(2).max(45).optional().describe('A particular free address of a pool serving the VE\'s node; omit for the next free one'),
});

export const AddressTaskOutput = z.object({
  taskId: z.string().describe('The ve.address task; the address is live when it has succeeded'),
  address: z.string().describe('The address added or being removed (canonical form)'),
});
