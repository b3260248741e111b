// Serves fetch-app.mjs on a free loopback port under Bun (`bun fetch-serve.mjs`) or Deno
// (`deno run -A fetch-serve.mjs`) and prints `listening PORT`.
import { app } from './fetch-app.mjs';

if (globalThis.Bun) {
  const server = globalThis.Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app(request) });
  console.log(`listening ${server.port}`);
} else if (globalThis.Deno) {
  globalThis.Deno.serve(
    { hostname: '127.0.0.1', port: 0, onListen: ({ port }) => console.log(`listening ${port}`) },
    (request) => app(request),
  );
} else {
  throw new Error('run me under bun or deno');
}
