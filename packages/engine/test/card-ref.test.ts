import { CardRefHasher } from '@fraudstream/schema';
import { describe, expect, it } from 'vitest';
import { withEngine } from './helpers.js';

/** A transaction that the rules decline (the amount rule), so it shows up as an alert. */
const tx = (id: string) => ({ id, cardId: 'card-ref-test-4111', terminalId: 'T-1', amount: 9_500, timestamp: '2018-04-01T10:00:00Z' });

/** The alert and feed references of the test card, from an engine keyed with `secret`. */
async function refsOfTestCard(secret: Buffer): Promise<string[]> {
  return withEngine({ workers: 1, cardRefSecret: secret }, async (engine) => {
    for (let i = 0; i < 3; i++) expect(engine.submit(tx(`t${i}`)).state).toBe('accepted');
    await engine.drain();
    const { feed, alerts } = engine.drainEvents(10, 10);
    return [...feed, ...alerts].map((e) => e.cardRef);
  });
}

describe('card references in the live feed and alerts', () => {
  it('are the keyed reference of the one owner (CardRefHasher), and change with the deployment secret', async () => {
    const secretA = Buffer.alloc(32, 1);
    const secretB = Buffer.alloc(32, 2);
    const full = new CardRefHasher(secretA).refOf('card-ref-test-4111');
    const refsA = await refsOfTestCard(secretA);
    expect(refsA.length).toBeGreaterThan(0);
    // The short form is the end of the full reference the decision log and case store keep.
    for (const ref of refsA) expect(ref).toBe(`…${full.slice(-6)}`);
    const refsB = await refsOfTestCard(secretB);
    expect(refsB[0]).not.toBe(refsA[0]);
  });

  it('refuses a short secret, naming the option', async () => {
    await expect(withEngine({ cardRefSecret: Buffer.alloc(8) }, async () => undefined)).rejects.toThrow(/options\.cardRefSecret/);
  });
});
