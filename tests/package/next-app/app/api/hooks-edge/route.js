export const runtime = 'edge';
export const dynamic = 'force-dynamic';
export { POST } from '../../../lib/hooks.js';
