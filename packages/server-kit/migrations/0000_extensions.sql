-- pg_trgm backs the trigram index used by machine search (ILIKE '%term%'). PGlite ships it as an
-- extension the kit loads at open; PostgreSQL needs the contrib package (Debian: postgresql-contrib).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
