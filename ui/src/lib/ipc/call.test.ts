import { describe, expect, it } from 'vitest';
import { detailedProblemOf, problemOf } from '$lib/common/errors';
import { call, CommandError, type Answer } from './call';

describe('call', () => {
  it('is the data of an answer the core gave', async () => {
    await expect(call(Promise.resolve<Answer<number>>({ status: 'ok', data: 7 }))).resolves.toBe(7);
    await expect(call(Promise.resolve<Answer<null>>({ status: 'ok', data: null }))).resolves.toBeNull();
  });

  it('rejects with the core’s code and words when it refused, which become the problem to show', async () => {
    const refused = call(Promise.resolve<Answer<number>>({ status: 'error', error: { code: 'FORBIDDEN', message: 'agents may not' } }));
    const error = await refused.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', message: 'agents may not' });
    expect(problemOf(error)).toEqual({ code: 'FORBIDDEN' });
    expect(detailedProblemOf(error)).toEqual({ code: 'FORBIDDEN', detail: 'agents may not' });
  });

  it('passes a broken bridge on as it came, an unexpected problem', async () => {
    const broken = new Error('bridge down');
    const error = await call(Promise.reject(broken)).catch((e: unknown) => e);
    expect(error).toBe(broken);
    expect(problemOf(error)).toEqual({ key: 'error.unexpected' });
    expect(detailedProblemOf(error)).toEqual({ key: 'error.unexpected' });
  });
});
