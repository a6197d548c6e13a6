import { defineHandler } from '../daemon/types';
import { spoolFor } from '../metrics/sampler';

/** Hands the panel the oldest buffered usage batches after deleting the ones it acknowledged. */
export const usagePull = defineHandler({
  method: 'usage.pull',
  async run(params, ctx) {
    const spool = spoolFor(ctx.vzroot);
    spool.ack(params.spool, params.ack);
    const { batches, more } = spool.read(params.max);
    return { spool: spool.state.spool, batches, more };
  },
});
