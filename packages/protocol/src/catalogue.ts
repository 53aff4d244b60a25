/**
 * Face values offered (PROTOCOL §5): with no catalogue configured, every whole-fen amount from
 * 100 to 100000 (1–1000 元); an administrator may narrow that to an explicit list.
 */
export const DEFAULT_FACE_VALUE_MIN = 100;
export const DEFAULT_FACE_VALUE_MAX = 100000;

export function isFaceValueOffered(faceValue: number, catalogue: readonly number[] | null | undefined): boolean {
  if (!Number.isSafeInteger(faceValue)) return false;
  if (catalogue == null || catalogue.length === 0) {
    return faceValue >= DEFAULT_FACE_VALUE_MIN && faceValue <= DEFAULT_FACE_VALUE_MAX;
  }
  return catalogue.includes(faceValue);
}
