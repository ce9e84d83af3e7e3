-- The three roles. What each may do lives in code (src/rights.ts), deny by default; this table only
-- names them so users.role is constrained by a foreign key.
INSERT INTO "roles" ("name", "description") VALUES
  ('admin', 'Manages users, keys, machines and sessions'),
  ('technician', 'Finds machines and runs sessions'),
  ('end_user', 'Signs in to their own account only')
ON CONFLICT ("name") DO NOTHING;
--> statement-breakpoint
-- machines.search_text is the one column the trigram index covers; a trigger keeps it in step with
-- every searchable field so no write path can forget it.
CREATE OR REPLACE FUNCTION gc_machines_search_text() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.search_text := lower(concat_ws(' ',
    NEW.display_name, NEW.hostname, NEW.company, NEW.site, NEW.department, NEW.device_type,
    array_to_string(NEW.tags, ' '), NEW.os_name, NEW.os_version, NEW.logged_on_user,
    array_to_string(NEW.ip_addresses, ' '), NEW.device_id, NEW.machine_uid));
  RETURN NEW;
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS gc_machines_search_text ON "machines";
--> statement-breakpoint
CREATE TRIGGER gc_machines_search_text BEFORE INSERT OR UPDATE ON "machines"
  FOR EACH ROW EXECUTE FUNCTION gc_machines_search_text();
