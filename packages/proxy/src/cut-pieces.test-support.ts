/**
 * `bytes` cut at the given fractions of its length (each point once, in order): how the property tests feed a
 * reader the same bytes as a network might deliver them.
 *
 * @example
 * ```ts
 * piecesAt(Buffer.from('abcd'), [0.5, 0.5, 0.25]); // [<a>, <b>, <cd>]
 * ```
 */
export function piecesAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((fraction) => Math.floor(fraction * bytes.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  pieces.push(bytes.subarray(from));
  return pieces;
}
