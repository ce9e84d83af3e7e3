import type { DescField, DescMessage, Message } from '@bufbuild/protobuf';
import { create, ScalarType } from '@bufbuild/protobuf';

/**
 * Builds a message of `schema` with every field set to a non-default value (every scalar,
 * enum, nested message, list and map), so that a round trip exercises each field number.
 * `seed` varies the values.
 */
export function fillMessage(schema: DescMessage, seed = 1, depth = 0): Message {
  const init: Record<string, unknown> = {};
  for (const field of schema.fields) {
    if (field.oneof) continue;
    init[field.localName] = valueFor(field, seed, depth);
  }
  for (const oneof of schema.oneofs) {
    const first = oneof.fields[seed % oneof.fields.length] as DescField;
    init[oneof.localName] = { case: first.localName, value: singular(first, seed, depth) };
  }
  return create(schema, init as never);
}

function valueFor(field: DescField, seed: number, depth: number): unknown {
  switch (field.fieldKind) {
    case 'list':
      if (field.listKind === 'message') {
        return [fillMessage(field.message, seed, depth + 1), fillMessage(field.message, seed + 1, depth + 1)];
      }
      if (field.listKind === 'enum') return [lastEnumNumber(field.enum.values)];
      return [scalar(field.scalar, seed), scalar(field.scalar, seed + 1)];
    case 'map': {
      const key = String(scalar(field.mapKey, seed));
      if (field.mapKind === 'message') return { [key]: fillMessage(field.message, seed, depth + 1) };
      if (field.mapKind === 'enum') return { [key]: lastEnumNumber(field.enum.values) };
      return { [key]: scalar(field.scalar, seed) };
    }
    default:
      return singular(field, seed, depth);
  }
}

function singular(field: DescField, seed: number, depth: number): unknown {
  if (field.fieldKind === 'message') return fillMessage(field.message, seed, depth + 1);
  if (field.fieldKind === 'enum') return lastEnumNumber(field.enum.values);
  if (field.fieldKind === 'scalar') return scalar(field.scalar, seed);
  throw new Error(`unexpected field kind ${field.fieldKind}`);
}

function lastEnumNumber(values: readonly { number: number }[]): number {
  return (values[values.length - 1] as { number: number }).number;
}

function scalar(type: ScalarType, seed: number): unknown {
  switch (type) {
    case ScalarType.STRING:
      return `värde-${seed}-✓`;
    case ScalarType.BYTES:
      return new Uint8Array([seed & 0xff, 0, 255, 7]);
    case ScalarType.BOOL:
      return true;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return 1.5 + seed;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return BigInt(-(2 ** 40) - seed);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return BigInt(2 ** 40 + seed);
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return -1000 - seed;
    default:
      return 1000 + seed;
  }
}
