/**
 * `fn` with its answers kept for up to `size` distinct inputs. The cache is simply emptied when
 * full: inputs come from callers and may be endless, and the hot ones come back at once. Only for
 * pure functions whose answers are never mutated (they are shared between callers).
 */
export function memoized<T>(fn: (text: string) => T, size: number): (text: string) => T {
  const answers = new Map<string, T>();
  return (text) => {
    if (answers.has(text)) return answers.get(text) as T;
    const answer = fn(text);
    if (answers.size >= size) answers.clear();
    answers.set(text, answer);
    return answer;
  };
}
