/**
 * The index's tree (accounts → buckets → groups → parts, each holder an array while small and a Map
 * past SMALL children) against a brute-force evaluation of the same filters over the live rows,
 * while records come and go so holders and parts' slot lists change form both ways.
 */
import fc from 'fast-check';
import {
  and,
  eq,
  evaluate,
  isIn,
  subtree,
  TRUE,
  type Expr,
  type NamespacePolicy,
} from '../../policy/index.js';
import { fileRecords } from '../../indexing/records.js';
import { MemoryIndex, type MemoryRow } from './index.js';

const P: NamespacePolicy = { isolate_user_scope_by_agent: true, isolate_agent_scope_by_user: true };
const times = { created_at: 1, updated_at: 2 };

/**
 * 12 resource folders (a bucket each) of 12 subfolders (a part each); users' memories, isolated by
 * agent (a group per agent in a user's bucket), and agents' memories isolated by user.
 */
function uriOf(kind: number, a: number, b: number, c: number): string {
  if (kind === 0) return `viking://resources/f${a}/d${b}/n${c}.md`;
  if (kind === 1) return `viking://user/u${a % 4}/agent/bot${b}/memories/m.md`;
  return `viking://agent/bot${a % 3}/user/u${b}/memories/m.md`;
}

const opArb = fc.record({
  account: fc.constantFrom('acme', 'globex'),
  kind: fc.nat({ max: 2 }),
  // Half of them in one folder: its part's slot list grows past a plain array's.
  a: fc.oneof(fc.constant(0), fc.nat({ max: 11 })),
  b: fc.oneof(fc.constant(0), fc.nat({ max: 11 })),
  c: fc.nat({ max: 40 }),
  remove: fc.nat({ max: 2 }).map((n) => n === 0),
});

const filters: Expr[] = [
  TRUE,
  eq('account_id', 'acme'),
  and(eq('account_id', 'globex'), subtree('viking://resources/f3')),
  and(eq('account_id', 'acme'), subtree('viking://resources/f10/d4')),
  subtree('viking://user/u1'),
  and(eq('account_id', 'globex'), subtree('viking://agent/bot2')),
  and(eq('account_id', 'acme'), isIn('owner_user_id', ['u1', 'u7'])),
  eq('scope', 'agent'),
];

test('filters match the same records as a brute-force evaluation while holders grow and shrink', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 300, maxLength: 400 }), async (ops) => {
      const index = await MemoryIndex.create(8, 256 * 2 ** 20);
      const live = new Map<string, MemoryRow>();
      const check = (): void => {
        for (const filter of filters) {
          const expected = [...live.values()].filter((r) => evaluate(filter, r)).map((r) => r.id);
          expect(index.matchIds(filter).sort()).toEqual(expected.sort());
        }
      };
      for (const { account, kind, a, b, c, remove } of ops) {
        const uri = uriOf(kind, a, b, c);
        const [{ text, ...row }] = fileRecords(account, uri, `w${a} w${b}`, P, times) as [
          ReturnType<typeof fileRecords>[0],
        ];
        if (remove) {
          index.remove(row.id);
          live.delete(row.id);
        } else {
          index.put(row, new Float32Array(8).fill(a + 1), text);
          live.set(row.id, row);
        }
        check();
      }
      // Emptied record by record: every holder and slot list shrinks back through every size.
      for (const id of [...live.keys()]) {
        index.remove(id);
        live.delete(id);
        check();
      }
      expect(index.size).toBe(0);
      await index.close();
    }),
    { numRuns: 12 },
  );
});
