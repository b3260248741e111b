// One route handler for both runtimes: verifies a Standard Webhooks delivery with the packaged
// hookverify and says which backend did it. The verifier is built when the module loads, so
// `next build` (which loads the node route to collect its config) already loads the package.
import { Verifier, backend } from 'hookverify';

const verifier = new Verifier({ scheme: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });

export async function POST(request) {
  const body = new Uint8Array(await request.arrayBuffer());
  try {
    const event = verifier.verify(body, request.headers);
    return Response.json({ verified: true, backend, id: event.id, type: event.type });
  } catch (err) {
    return Response.json({ verified: false, backend, code: err.code }, { status: 401 });
  }
}
