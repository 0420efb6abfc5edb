import { describe, expect, it } from 'vitest';

/** Every source file of the UI but the tests and `ipc/` itself, by path. */
const sources = import.meta.glob<string>(['/src/**/*.svelte', '/src/**/*.ts', '!/src/**/*.test.ts', '!/src/lib/ipc/**'], {
  query: '?raw',
  import: 'default',
  eager: true,
});

const offending = (pattern: RegExp, files = Object.keys(sources)) => files.filter((path) => pattern.test(sources[path]));

describe('the one door to the core', () => {
  it('reads the sources', () => {
    expect(Object.keys(sources)).toContain('/src/App.svelte');
    expect(sources['/src/lib/batch/batch.svelte.ts']).toContain("from '$lib/ipc/call'");
  });

  it('keeps screens and components to their feature’s store or module: only types come from ipc/', () => {
    const components = Object.keys(sources).filter((path) => path.endsWith('.svelte'));
    expect(offending(/from '\$lib\/ipc\/(bindings|call)'/, components)).toEqual([]);
  });

  it('reaches Tauri only through the generated bindings', () => {
    expect(offending(/@tauri-apps\/api/)).toEqual([]);
  });

  it('reads a command’s answer only through call()', () => {
    expect(offending(/\.status === '(ok|error)'|status: 'error'/)).toEqual([]);
  });
});
