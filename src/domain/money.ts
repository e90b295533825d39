/** Money is whole yuan in integers; this file is the only place that formats it. */

export function assertYuan(n: number): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`not a whole number of yuan: ${n}`);
  return n;
}

/** 630000 → "630,000". */
export function groupDigits(n: number): string {
  const sign = n < 0 ? "-" : "";
  return sign + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** 630000 → "630,000元". */
export function yuan(n: number): string {
  return `${groupDigits(assertYuan(n))}元`;
}

/** 630000 → "63万元"; 1344000 → "134.4万元": a friendly second reading next to the exact figure. */
export function wan(n: number): string {
  const w = assertYuan(n) / 10_000;
  return `${Number.isInteger(w) ? w : Number(w.toFixed(4))}万元`;
}
