/** Progress bars of the offline scripts (cli-progress on stderr, drawn only on a terminal). */
import cliProgress from 'cli-progress';

export type Bar = Pick<cliProgress.SingleBar, 'start' | 'update' | 'setTotal' | 'stop'>;
const NO_BAR: Bar = {
  start: () => undefined,
  update: () => undefined,
  setTotal: () => undefined,
  stop: () => undefined,
};

/** A progress bar on stderr (drawn only on a terminal); none with --json. */
export function progressBar(label: string, unit: string, quiet: boolean): Bar {
  if (quiet) return NO_BAR;
  return new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {percentage}% {value}/{total} ${unit} | {rate}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
}
