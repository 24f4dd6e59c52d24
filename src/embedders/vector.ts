/** Small vector helpers shared by the embedders: L2 normalisation with an explicit zero case. */

/**
 * Scales `v` to unit length in place. Returns false (and leaves `v` untouched) when its norm is zero
 * or not finite, so the caller decides what an empty vector means instead of dividing by zero.
 */
export function l2NormalizeInPlace(v: Float32Array): boolean {
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] ?? 0;
    sum += x * x;
  }
  const norm = Math.sqrt(sum);
  if (norm === 0 || !Number.isFinite(norm)) return false;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] ?? 0) / norm;
  return true;
}

/** Euclidean norm; used by tests and by sanity checks on model output. */
export function l2Norm(v: Float32Array): number {
  let sum = 0;
  for (const x of v) sum += x * x;
  return Math.sqrt(sum);
}

/** Dot product of two equal-length vectors (cosine similarity for unit vectors). */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] ?? 0) * (b[i] ?? 0);
  return sum;
}

/** Cosine distance (1 − cosine similarity) in double precision; 1 when either vector is zero. */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 1 : 1 - dot / Math.sqrt(na * nb);
}
