import { describe, expect, it } from 'vitest';
import { ExpressionError, partitionKeyPlaceholders, tokenize, topLevelAttributes } from '../../../src/policy/dynamodb/expressions.js';

describe('topLevelAttributes', () => {
  it('lists projected attributes in order, once each', () => {
    expect(topLevelAttributes('userId,fieldName, isOnAssignment ,userId')).toEqual(['userId', 'fieldName', 'isOnAssignment']);
  });

  it('reduces nested paths to their top-level attribute', () => {
    expect(topLevelAttributes('a.b[0], c[3].d, e.f.g, h[0][1]')).toEqual(['a', 'c', 'e', 'h']);
  });

  it('resolves #name placeholders, at the top level and below it', () => {
    const names = { '#s': 'status', '#n': 'name', '#x': 'realName' };
    expect(topLevelAttributes('#s, info.#n, #x.first', names)).toEqual(['status', 'info', 'realName']);
  });

  it('does not mistake a nested element named like a top-level attribute for one', () => {
    expect(topLevelAttributes('profile.realName', {})).toEqual(['profile']);
  });

  it('skips function names and keywords in conditions and filters', () => {
    const expr = 'attribute_exists(pk) AND NOT contains(#t, :v) OR size(items) > :n AND begins_with(sk, :p) AND kind IN (:a, :b) AND score BETWEEN :lo AND :hi';
    expect(topLevelAttributes(expr, { '#t': 'tags' })).toEqual(['pk', 'tags', 'items', 'sk', 'kind', 'score']);
  });

  it('keywords are case-insensitive', () => {
    expect(topLevelAttributes('a = :x and b <> :y or not c < :z', {})).toEqual(['a', 'b', 'c']);
  });

  it('collects update targets and sources from every clause', () => {
    const expr = 'SET #c = if_not_exists(#c, :zero) + :one, tags = list_append(tags, :t), copy = original REMOVE old[2], m.n ADD counter :n DELETE colours :c';
    expect(topLevelAttributes(expr, { '#c': 'count' })).toEqual(['count', 'tags', 'copy', 'original', 'old', 'm', 'counter', 'colours']);
  });

  it('refuses an undefined #name placeholder, even below the top level', () => {
    expect(() => topLevelAttributes('#missing', {})).toThrow(ExpressionError);
    expect(() => topLevelAttributes('a.#missing', { '#a': 'x' })).toThrow(/#missing/);
  });

  it('refuses characters no expression can hold', () => {
    expect(() => tokenize('a; DROP TABLE')).toThrow(ExpressionError);
  });
});

describe('partitionKeyPlaceholders', () => {
  it('finds pk = :v', () => {
    expect(partitionKeyPlaceholders('userId = :sub', 'userId')).toEqual([':sub']);
  });

  it('finds the partition key through a #name and ignores the sort key condition', () => {
    expect(partitionKeyPlaceholders('#pk = :pk AND begins_with(#sk, :prefix)', 'tenant', { '#pk': 'tenant', '#sk': 'sk' })).toEqual([':pk']);
  });

  it('is not fooled by BETWEEN ... AND ... on the sort key', () => {
    expect(partitionKeyPlaceholders('pk = :a AND sk BETWEEN :lo AND :hi', 'pk')).toEqual([':a']);
  });

  it('accepts the value on the left and parentheses', () => {
    expect(partitionKeyPlaceholders('(:v = pk) AND (sk > :s)', 'pk')).toEqual([':v']);
  });

  it('does not treat a sort-key equality as the partition key', () => {
    expect(partitionKeyPlaceholders('sk = :s AND pk = :p', 'pk')).toEqual([':p']);
    expect(partitionKeyPlaceholders('sk = :s', 'pk')).toEqual([]);
  });

  it('ignores nested paths that end in the partition key name', () => {
    expect(partitionKeyPlaceholders('other.pk = :x', 'pk')).toEqual([]);
  });

  it('tolerates missing whitespace', () => {
    expect(partitionKeyPlaceholders('pk=:v AND sk<=:s', 'pk')).toEqual([':v']);
  });
});
