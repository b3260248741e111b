export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export { POST } from '../../../lib/hooks.js';
