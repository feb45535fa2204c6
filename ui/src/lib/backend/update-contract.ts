// The in-app update's side of the engine: whether a newer Rollcall is out and what changed,
// installing it (downloaded, its signature verified; refused while a sync runs) and
// restarting into it. The shapes are generated from the Rust types into `generated.ts`.

import type { UpdateCheck, UpdateInstalled, UpdateProgress } from './generated';

export type { UpdateCheck, UpdateInstalled, UpdateProgress };

/** The calls the update notice makes. */
export interface UpdateBackend {
  /** Whether a newer version is out, with what changed; a plain line when the update server
   * could not be reached (never an error for being offline). */
  checkForUpdate(): Promise<UpdateCheck>;
  /** Downloads the update found, verifies its signature and installs it, reporting progress.
   * Refused (code `busy`) while a read or sync runs; `update_unverified` when the signature
   * does not hold. */
  installUpdate(onProgress: (progress: UpdateProgress) => void): Promise<UpdateInstalled>;
  /** Restarts Rollcall into the version installed; refused while a read or sync runs. */
  restartAfterUpdate(): Promise<void>;
}
