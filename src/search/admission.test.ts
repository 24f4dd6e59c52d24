import { AppError } from '../errors.js';
import { SearchAdmission } from './admission.js';

/** A task that runs until the test settles it. */
function gate<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject, task: () => promise };
}

/** Lets queued promise callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('SearchAdmission', () => {
  test('runs up to maxInflight at once, queues up to maxQueue, refuses the rest with 503 details', async () => {
    let rejected = 0;
    const admission = new SearchAdmission({ maxInflight: 1, maxQueue: 1, onReject: () => rejected++ });
    const first = gate<string>();
    const second = gate<string>();
    const running = admission.run(first.task);
    let secondStarted = false;
    const queued = admission.run(() => {
      secondStarted = true;
      return second.promise;
    });
    await settle();
    expect(admission.stats()).toEqual({ inflight: 1, queued: 1 });
    expect(secondStarted).toBe(false);

    const refused = admission.run(() => Promise.resolve('never'));
    await expect(refused).rejects.toMatchObject({ code: 'UNAVAILABLE', details: { retry_after_s: 1 } });
    await expect(refused).rejects.toBeInstanceOf(AppError);
    expect(rejected).toBe(1);

    first.resolve('a');
    await expect(running).resolves.toBe('a');
    await settle();
    expect(secondStarted).toBe(true);
    expect(admission.stats()).toEqual({ inflight: 1, queued: 0 });
    second.resolve('b');
    await expect(queued).resolves.toBe('b');
    expect(admission.stats()).toEqual({ inflight: 0, queued: 0 });
  });

  test('a failing task releases its slot to the next waiter', async () => {
    const admission = new SearchAdmission({ maxInflight: 1, maxQueue: 1 });
    const failing = gate<string>();
    const first = admission.run(failing.task);
    const next = admission.run(() => Promise.resolve('next'));
    failing.reject(new Error('index down'));
    await expect(first).rejects.toThrow('index down');
    await expect(next).resolves.toBe('next');
    expect(admission.stats()).toEqual({ inflight: 0, queued: 0 });
  });

  test('a task that throws synchronously releases its slot', async () => {
    const admission = new SearchAdmission({ maxInflight: 1, maxQueue: 0 });
    await expect(
      admission.run(() => {
        throw new AppError('PERMISSION_DENIED', 'no');
      }),
    ).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    await expect(admission.run(() => Promise.resolve(1))).resolves.toBe(1);
  });

  test('with maxQueue 0 nothing waits', async () => {
    const admission = new SearchAdmission({ maxInflight: 1, maxQueue: 0 });
    const blocked = gate<number>();
    const running = admission.run(blocked.task);
    await expect(admission.run(() => Promise.resolve(2))).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    blocked.resolve(1);
    await expect(running).resolves.toBe(1);
  });

  test('an aborted waiter leaves the queue and never runs', async () => {
    const admission = new SearchAdmission({ maxInflight: 1, maxQueue: 1 });
    const blocked = gate<number>();
    const running = admission.run(blocked.task);
    const controller = new AbortController();
    let ran = false;
    const waiting = admission.run(() => {
      ran = true;
      return Promise.resolve(2);
    }, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(admission.stats()).toEqual({ inflight: 1, queued: 0 });
    blocked.resolve(1);
    await running;
    expect(ran).toBe(false);
    expect(admission.stats()).toEqual({ inflight: 0, queued: 0 });
  });

  test('an abort after the search started does not interrupt it', async () => {
    const admission = new SearchAdmission({ maxInflight: 1, maxQueue: 1 });
    const controller = new AbortController();
    const blocked = gate<number>();
    const running = admission.run(blocked.task, controller.signal);
    await settle();
    controller.abort();
    blocked.resolve(1);
    await expect(running).resolves.toBe(1);
    expect(admission.stats()).toEqual({ inflight: 0, queued: 0 });
  });
});
