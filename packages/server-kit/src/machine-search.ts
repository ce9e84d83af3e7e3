import { and, type SQL, sql } from 'drizzle-orm';
import { machines } from './db/schema.js';

/** Scopes a search term may name (`os:linux`, `tag:"front desk"`). */
export const SEARCH_FIELDS = ['os', 'user', 'ip', 'tag', 'company', 'site', 'host'] as const;
export type SearchField = (typeof SEARCH_FIELDS)[number];

export interface SearchTerm {
  /** Undefined for a free term (matched against every searchable field). */
  field: SearchField | undefined;
  value: string;
}

const MAX_TERMS = 16;
const MAX_TERM_LENGTH = 128;

/**
 * Splits a query into terms: whitespace-separated, `"quoted phrases"` kept whole, `field:value`
 * scoped when the field is known (otherwise the whole `a:b` is a free term). At most 16 terms.
 */
export function parseSearchQuery(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  const pattern = /(?:(\w+):)?(?:"([^"]*)"|(\S+))/g;
  for (const match of query.matchAll(pattern)) {
    const [whole, field, quoted, bare] = match;
    const value = (quoted ?? bare ?? '').trim().slice(0, MAX_TERM_LENGTH);
    const known = field !== undefined && (SEARCH_FIELDS as readonly string[]).includes(field.toLowerCase());
    if (known) {
      if (value !== '') terms.push({ field: field.toLowerCase() as SearchField, value });
    } else {
      const free = (field === undefined ? value : whole).trim().slice(0, MAX_TERM_LENGTH);
      if (free !== '') terms.push({ field: undefined, value: free });
    }
    if (terms.length >= MAX_TERMS) break;
  }
  return terms;
}

function contains(value: string): string {
  return `%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function termCondition(term: SearchTerm): SQL {
  const like = contains(term.value);
  switch (term.field) {
    case undefined:
      // search_text is lower-cased by the trigger and covered by the trigram GIN index.
      return sql`${machines.searchText} like ${contains(term.value.toLowerCase())}`;
    case 'os':
      return sql`(${machines.osName} ilike ${like} or ${machines.osVersion} ilike ${like} or ${machines.kernel} ilike ${like})`;
    case 'user':
      return sql`${machines.loggedOnUser} ilike ${like}`;
    case 'ip':
      return sql`exists (select 1 from unnest(${machines.ipAddresses}) as ip where ip like ${`${term.value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`})`;
    case 'tag':
      return sql`exists (select 1 from unnest(${machines.tags}) as tag where lower(tag) = ${term.value.toLowerCase()})`;
    case 'company':
      return sql`${machines.company} ilike ${like}`;
    case 'site':
      return sql`${machines.site} ilike ${like}`;
    case 'host':
      return sql`(${machines.hostname} ilike ${like} or ${machines.displayName} ilike ${like})`;
  }
}

/** The WHERE clause for a query: every term must match (AND); all values are bound parameters. */
export function searchCondition(query: string): SQL | undefined {
  const terms = parseSearchQuery(query);
  return terms.length === 0 ? undefined : and(...terms.map(termCondition));
}
