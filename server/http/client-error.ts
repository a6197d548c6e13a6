// Requests Node's HTTP parser refuses before any handler runs (headers over the limit, malformed
// requests): answered in the API's JSON error shape instead of Node's empty-bodied default.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Request line + headers; 500 VE ids in a GET /ves/status URL take about 20 KiB. */
export const MAX_HEADER_SIZE = 64 * 1024;

type Refusal = [status: number, code: string, appCode: string, message: string];

function refusal(code: string | undefined): Refusal {
  if (code === 'HPE_HEADER_OVERFLOW') {
    return [431, 'PAYLOAD_TOO_LARGE', 'TOO_LARGE', `The request line and headers exceed ${MAX_HEADER_SIZE / 1024} KiB; send long id lists in the body of POST /api/v1/ves/status`];
  }
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'TIMEOUT', 'BAD_INPUT', 'The request took too long to arrive'];
  return [400, 'BAD_REQUEST', 'BAD_INPUT', 'Malformed HTTP request'];
}

/** `clientError` listener: writes a JSON error (same shape as every /api/v1 error) and closes the connection. */
export function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, appCode, message] = refusal(err.code);
  const body = JSON.stringify({ message, code, data: { code, httpStatus: status, appCode } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
}
