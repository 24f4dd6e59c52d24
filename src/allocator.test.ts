import { ALLOCATOR_ENV, allocatorSettings, withAllocatorEnv } from './allocator.js';

test('the allocator settings are added where the environment does not set them; an operator value wins', () => {
  const env = withAllocatorEnv({ PATH: '/bin', MALLOC_ARENA_MAX: '4', UNSET: undefined });
  expect(env).toEqual({
    PATH: '/bin',
    MALLOC_ARENA_MAX: '4',
    MALLOC_MMAP_THRESHOLD_: ALLOCATOR_ENV['MALLOC_MMAP_THRESHOLD_'],
    MALLOC_TRIM_THRESHOLD_: ALLOCATOR_ENV['MALLOC_TRIM_THRESHOLD_'],
  });
  expect('UNSET' in env).toBe(false);
});

test("status reports this process's allocator settings, null where glibc's default applies", () => {
  const saved = process.env['MALLOC_ARENA_MAX'];
  process.env['MALLOC_ARENA_MAX'] = '3';
  try {
    const settings = allocatorSettings();
    expect(Object.keys(settings).sort()).toEqual(Object.keys(ALLOCATOR_ENV).sort());
    expect(settings['MALLOC_ARENA_MAX']).toBe('3');
    delete process.env['MALLOC_ARENA_MAX'];
    expect(allocatorSettings()['MALLOC_ARENA_MAX']).toBeNull();
  } finally {
    if (saved === undefined) delete process.env['MALLOC_ARENA_MAX'];
    else process.env['MALLOC_ARENA_MAX'] = saved;
  }
});
