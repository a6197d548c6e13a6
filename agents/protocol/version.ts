/** Wire protocol major version: bumped only for breaking changes (additive changes use capability names). */
export const PROTOCOL_VERSION = 1;
/** Version of the agent bundle (vzagentd, vzagent, vzctl). */
export const AGENT_VERSION = '0.1.0';

/** True when a peer speaking `theirs` can talk to us (same major). */
export const protocolCompatible = (theirs: number): boolean => theirs === PROTOCOL_VERSION;
