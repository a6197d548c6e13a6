import { describe, expect, it } from 'vitest';
import { parseStreamHeader } from './streams';

describe('the first line of a socket connection', () => {
  it('is RPC unless it asks for a stream', () => {
    expect(parseStreamHeader('{"id":1,"method":"hello","params":{}}')).toBeUndefined();
    expect(parseStreamHeader('not json')).toBeUndefined();
  });

  it('names a console or migration receiver stream with its ctid', () => {
    expect(parseStreamHeader('{"stream":"console","ctid":101}')).toEqual({ stream: 'console', ctid: 101 });
    expect(parseStreamHeader('{"stream":"rsync-recv","ctid":7,"command":"rsync --server . /x/"}')).toEqual({ stream: 'rsync-recv', ctid: 7, command: 'rsync --server . /x/' });
  });

  it('turns a malformed stream request into a reason, never into RPC', () => {
    expect(parseStreamHeader('{"stream":"console"}')).toMatch(/integer ctid/);
    expect(parseStreamHeader('{"stream":"console","ctid":"101;id"}')).toMatch(/integer ctid/);
    expect(parseStreamHeader('{"stream":"shell","ctid":101}')).toMatch(/unknown stream/);
    expect(parseStreamHeader('{"stream":"rsync-recv","ctid":7}')).toMatch(/unknown stream/);
  });
});
