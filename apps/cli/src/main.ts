/** `npm run cli -- …`: runs one command line and exits with its code. */
import { runCli } from "./cli";

runCli(process.argv.slice(2), {
  env: process.env,
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then((code) => {
  process.exitCode = code;
});
