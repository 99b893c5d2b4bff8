DROP TABLE raster_areas;
DROP TABLE raster_bands;
DROP TABLE raster_files;
