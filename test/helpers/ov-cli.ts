/**
 * Runs the real `ov` CLI (npm `@openviking/cli-linux-x64`, a dev dependency) against a local server:
 * each identity gets its own temporary HOME with `~/.openviking/ovcli.conf` (url, key, account,
 * user, `actor_peer_id`) and the display-language setting the CLI insists on. Commands run with
 * `-o json` and resolve to the CLI's `{ok, result | error}` document. A missing or unrunnable binary
 * is an error naming the reason, never a skipped test.
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { z } from 'zod';

export const OV_BINARY = resolve('node_modules/@openviking/cli-linux-x64/bin/ov');

const output = z.object({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type OvOutput = z.infer<typeof output>;

export interface OvConfig {
  readonly url: string;
  readonly api_key: string;
  readonly account: string;
  readonly user: string;
  readonly actor_peer_id: string;
}

/** Throws with the reason when the binary is not there or not executable. */
export function assertOvInstalled(): void {
  try {
    accessSync(OV_BINARY, constants.X_OK);
  } catch (error) {
    throw new Error(
      `the ov CLI is not installed at ${OV_BINARY} (devDependency @openviking/cli-linux-x64; run npm ci)`,
      { cause: error },
    );
  }
}

export class OvCli {
  readonly home: string;

  constructor(config: OvConfig) {
    this.home = mkdtempSync(join(tmpdir(), 'vs-ov-home-'));
    const dir = join(this.home, '.openviking');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ovcli.conf'), JSON.stringify({ ...config, echo_command: false }));
    writeFileSync(join(dir, 'ovcli.settings.conf'), JSON.stringify({ language: 'en' }));
  }

  /** `ov -o json ...args`; the JSON document it printed (stdout on success, stderr on failure). */
  run(...args: string[]): Promise<OvOutput> {
    const env = { PATH: process.env.PATH ?? '', HOME: this.home, NO_COLOR: '1' };
    return new Promise((resolvePromise, reject) => {
      execFile(OV_BINARY, ['-o', 'json', ...args], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        const text = [stdout, stderr].map((s) => s.trim()).find((s) => s.startsWith('{'));
        if (text === undefined) {
          reject(new Error(`ov ${args.join(' ')} printed no JSON: ${stdout} ${stderr}`, { cause: error }));
          return;
        }
        resolvePromise(output.parse(JSON.parse(text)));
      });
    });
  }

  remove(): void {
    rmSync(this.home, { recursive: true, force: true });
  }
}
