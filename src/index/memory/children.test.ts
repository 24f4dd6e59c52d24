import { childCount, childOf, eachChild, SMALL, withChild, withoutChild, type Children } from './children.js';

interface Node {
  readonly key: string;
}
const node = (i: number): Node => ({ key: `k${i}` });
const keys = (children: Children<Node>): string[] => [...eachChild(children)].map((c) => c.key);

test.each([1, SMALL, SMALL + 1, 3 * SMALL])('%i children are found by key, in the order added', (n) => {
  let children: Children<Node> = [];
  for (let i = 0; i < n; i++) children = withChild(children, node(i));
  expect(children instanceof Map).toBe(n > SMALL);
  expect(childCount(children)).toBe(n);
  expect(keys(children)).toEqual(Array.from({ length: n }, (_, i) => `k${i}`));
  for (let i = 0; i < n; i++) expect(childOf(children, `k${i}`)?.key).toBe(`k${i}`);
  expect(childOf(children, `k${n}`)).toBeUndefined();
});

test('removing children finds the rest, and a Map shrunk to half of SMALL becomes an array again', () => {
  let children: Children<Node> = [];
  for (let i = 0; i < 2 * SMALL; i++) children = withChild(children, node(i));
  for (let i = 0; i < 2 * SMALL; i++) {
    children = withoutChild(children, `k${i}`);
    const left = 2 * SMALL - i - 1;
    expect(childCount(children)).toBe(left);
    expect(children instanceof Map).toBe(left > SMALL / 2);
    expect(childOf(children, `k${i}`)).toBeUndefined();
    if (left > 0) expect(childOf(children, `k${2 * SMALL - 1}`)?.key).toBe(`k${2 * SMALL - 1}`);
  }
  expect(keys(children)).toEqual([]);
});
