// autocannon ships no type declarations; the bench uses its programmatic API loosely.
declare module "autocannon" {
  function autocannon(options: Record<string, unknown>, callback: (err: Error | null, result: unknown) => void): any;
  export = autocannon;
}
