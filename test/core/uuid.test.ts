import { describe, expect, it } from 'vitest';
import { canonicalUuid, isUuid } from '../../src/core/uuid.js';

describe('isUuid', () => {
  it.each([
    ['32c0207c-4d3f-4087-b0d5-6a137141f15f', true],
    ['32C0207C-4D3F-4087-B0D5-6A137141F15F', true],
    ['00000000-0000-0000-0000-000000000000', true],
    ['32c0207c4d3f4087b0d56a137141f15f', false],
    ['{32c0207c-4d3f-4087-b0d5-6a137141f15f}', false],
    ['32c0207c-4d3f-4087-b0d5-6a137141f15f\n', false],
    ['32c0207c-4d3f-4087-b0d5-6a137141f15g', false],
    [' 32c0207c-4d3f-4087-b0d5-6a137141f15f', false],
    ['', false],
    [42, false],
    [null, false],
  ])('%j → %s', (input, want) => {
    expect(isUuid(input)).toBe(want);
  });

  it('canonicalUuid lower-cases valid ids and rejects others', () => {
    expect(canonicalUuid('32C0207C-4D3F-4087-B0D5-6A137141F15F')).toBe('32c0207c-4d3f-4087-b0d5-6a137141f15f');
    expect(canonicalUuid('nope')).toBeNull();
  });
});
