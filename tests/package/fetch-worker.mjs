// A Cloudflare Worker over fetch-app.mjs: bundled by esbuild with the workerd condition and run by
// workerd (miniflare) in scripts/test-package.sh; the handlers run in ctx.waitUntil.
import { app } from './fetch-app.mjs';

export default {
  fetch(request, env, ctx) {
    return app(request, ctx);
  },
};
