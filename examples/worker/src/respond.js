// A Durable Object's answer: the handler's result as JSON with the object's own time in
// server-timing (as `name`, in ms, where the clock runs), or its error as { error, message }:
// 400 for a bad request or a RecurError, 500 for anything else.

import { RecurError } from 'recur';

export class BadRequest extends Error {
  get name() { return 'BadRequest'; }
}

export async function respond(name, handle) {
  const started = performance.now();
  try {
    const body = await handle();
    return Response.json(body, { headers: { 'server-timing': `${name};dur=${(performance.now() - started).toFixed(3)}` } });
  } catch (err) {
    const status = err instanceof BadRequest || err instanceof RecurError ? 400 : 500;
    return Response.json({ error: err.name, message: err.message }, { status });
  }
}
