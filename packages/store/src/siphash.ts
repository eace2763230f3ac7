/** SipHash-2-4 lives with the card-reference hasher in @fraudstream/schema; re-exported for this package's users. */
export { SipHash64 } from '@fraudstream/schema';
