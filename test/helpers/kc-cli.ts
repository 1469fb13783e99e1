/** `node --import tsx test/helpers/kc-cli.ts ARGS...`: the CLI from source (tests spawn and kill it). */
import { main } from '../../electron/cli/main';

process.exitCode = await main(process.argv.slice(2));
