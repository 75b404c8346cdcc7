// Unmount what each test rendered (the testing library's auto-cleanup resolves its
// setup file through node_modules' real path, which breaks with a symlinked node_modules).
import { cleanup } from '@testing-library/svelte';
import { afterEach } from 'vitest';

afterEach(() => cleanup());
