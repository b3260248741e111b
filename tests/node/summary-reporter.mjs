// node:test reporter: failures with their errors, then the closing line "<backend>: N passed, N failed".
export default async function* summary(source) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for await (const { type, data } of source) {
    if (type === 'test:pass' && data.details?.type !== 'suite') data.skip || data.todo ? skipped++ : passed++;
    if (type === 'test:fail' && data.details?.type !== 'suite') {
      failed++;
      yield `\nnot ok - ${data.name}\n  ${String(data.details?.error?.cause?.message ?? data.details?.error?.message).replace(/\n/g, '\n  ')}\n`;
    }
  }
  const backend = process.env.SUMMARY_LABEL || process.env.HOOKVERIFY_BACKEND || 'native';
  yield `\n${backend}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`;
}
