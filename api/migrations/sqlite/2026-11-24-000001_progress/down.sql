DROP TABLE progress_items;
DROP TABLE progress_uploads;
