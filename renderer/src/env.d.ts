/// <reference types="svelte" />
/// <reference types="vite/client" />

/** True only in the `--mode fake` build (screenshots, benchmark): the app then runs on the fake client. */
declare const __PTLAB_FAKE_BUILD__: boolean;

/** The app's version (package.json), for the demo lab, which has no main process to ask. */
declare const __PTLAB_VERSION__: string;

/**
 * db/types.ts (reached through the contract's types) names Node's Buffer in
 * a report shape the renderer never receives; the renderer has no Node types.
 */
type Buffer = Uint8Array;
