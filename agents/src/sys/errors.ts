// The runtime throws the daemon's AgentError (codes from agents/protocol, mirroring vzctl exit codes).
import { AgentError, isAgentError } from '../daemon/errors';

export { exitCodeOf } from '../../protocol/errors';
export type { AgentErrorCode as VeErrorCode } from '../../protocol/errors';

/** Runtime name for the daemon's AgentError: `{code, message, data}` goes on the wire as-is. */
export const VeError = AgentError;
export type VeError = AgentError;
export const isVeError = isAgentError;
