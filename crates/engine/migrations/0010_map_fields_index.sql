-- 0010: the fields a cluster map shows, in an index of their own.
--
-- A run's map reads, for every report it holds, the external id, date, category, harm and
-- care setting. From the table that means reading every report whole, text included: 571
-- MiB at a million reports, several seconds from a cold disk each time assigning next
-- month's reports rewrote the map. This covering index holds just those fields (about a
-- sixth of the bytes), in id order, so the map is read from it alone.
CREATE INDEX incidents_map_fields ON incidents (id, external_id, occurred_on, category, harm, care_setting);
