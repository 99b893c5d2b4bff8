//! The store's tables, one definition for both backends: `Geometry` is a PostGIS
//! `geometry(..., 4326)` column on PostgreSQL and an EWKB blob on SQLite (postgis_diesel
//! maps both). Kept in step with `migrations/{postgres,sqlite}`.

diesel::table! {
    datasets (id) {
        id -> BigInt,
        kind -> Text,
        name -> Text,
        source_file -> Text,
        checksum -> Text,
        crs -> Text,
        row_count -> BigInt,
        rejected -> BigInt,
        imported_at -> Timestamp,
        imported_by -> Text,
        public -> Bool,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::Geometry;

    units (id) {
        id -> BigInt,
        dataset_id -> BigInt,
        ord -> Integer,
        unit_id -> Text,
        housing_units -> Integer,
        comune -> Nullable<Text>,
        address -> Nullable<Text>,
        geom -> Geometry,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::Geometry;

    footprints (id) {
        id -> BigInt,
        dataset_id -> BigInt,
        ord -> Integer,
        operator -> Text,
        infrastructure -> Text,
        technology -> Text,
        down_mbps -> Double,
        up_mbps -> Double,
        peak_down_mbps -> Nullable<Double>,
        peak_up_mbps -> Nullable<Double>,
        status -> Text,
        year -> Nullable<Integer>,
        licensed -> Bool,
        geom -> Geometry,
    }
}

diesel::table! {
    declarations (id) {
        id -> BigInt,
        dataset_id -> BigInt,
        ord -> Integer,
        unit_id -> Text,
        operator -> Text,
        infrastructure -> Text,
        technology -> Text,
        down_mbps -> Double,
        up_mbps -> Double,
        peak_down_mbps -> Nullable<Double>,
        peak_up_mbps -> Nullable<Double>,
        status -> Text,
        year -> Nullable<Integer>,
        licensed -> Bool,
    }
}

diesel::table! {
    rule_sets (id) {
        id -> BigInt,
        name -> Text,
        version -> Integer,
        checksum -> Text,
        toml -> Text,
    }
}

diesel::table! {
    snapshots (id) {
        id -> BigInt,
        name -> Text,
        reference_year -> Integer,
        created_at -> Timestamp,
        created_by -> Text,
        units_dataset_id -> BigInt,
        addresses -> BigInt,
        housing_units -> BigInt,
        pairs -> BigInt,
        declared_pairs -> BigInt,
    }
}

diesel::table! {
    snapshot_datasets (snapshot_id, dataset_id) {
        snapshot_id -> BigInt,
        dataset_id -> BigInt,
    }
}

diesel::table! {
    snapshot_rules (snapshot_id, position) {
        snapshot_id -> BigInt,
        position -> Integer,
        rule_set_id -> BigInt,
    }
}

diesel::table! {
    unit_results (snapshot_id, unit_row) {
        snapshot_id -> BigInt,
        unit_row -> BigInt,
        best_down_mbps -> Double,
        best_up_mbps -> Double,
        technologies -> Text,
        networks_4g -> Integer,
        networks_5g -> Integer,
    }
}

diesel::table! {
    unit_classes (snapshot_id, position, unit_row) {
        snapshot_id -> BigInt,
        position -> Integer,
        unit_row -> BigInt,
        class -> Text,
        networks -> Integer,
        unknown_data -> Bool,
    }
}

diesel::table! {
    area_stats (snapshot_id, level, code) {
        snapshot_id -> BigInt,
        level -> Text,
        code -> Text,
        name -> Text,
        addresses -> BigInt,
        housing_units -> BigInt,
        units_4g -> BigInt,
        units_5g -> BigInt,
        sum_best_down -> Double,
    }
}

diesel::table! {
    area_classes (snapshot_id, level, code, position, class) {
        snapshot_id -> BigInt,
        level -> Text,
        code -> Text,
        position -> Integer,
        class -> Text,
        addresses -> BigInt,
        housing_units -> BigInt,
    }
}

diesel::table! {
    users (id) {
        id -> BigInt,
        name -> Text,
        role -> Text,
        operator -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> BigInt,
        user_id -> Nullable<BigInt>,
        label -> Text,
        role -> Text,
        operator -> Nullable<Text>,
        token_hash -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::Geometry;

    areas (id) {
        id -> BigInt,
        level -> Text,
        code -> Text,
        name -> Text,
        province -> Nullable<Text>,
        region -> Nullable<Text>,
        source_file -> Text,
        checksum -> Text,
        imported_at -> Timestamp,
        geom -> Geometry,
    }
}

diesel::table! {
    progress_uploads (id) {
        id -> BigInt,
        format -> Text,
        source_file -> Text,
        checksum -> Text,
        reported_on -> Date,
        row_count -> BigInt,
        item_count -> BigInt,
        skipped -> BigInt,
        uploaded_at -> Timestamp,
        uploaded_by -> Text,
        operator -> Nullable<Text>,
        report -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::Geometry;

    progress_items (id) {
        id -> BigInt,
        upload_id -> BigInt,
        kind -> Text,
        item_key -> Text,
        operator -> Text,
        plan -> Text,
        lot -> Nullable<Text>,
        comune -> Text,
        source_comune -> Text,
        technology -> Text,
        status -> Text,
        status_text -> Text,
        status_date -> Date,
        units -> BigInt,
        planned_start -> Nullable<Date>,
        planned_ready -> Nullable<Date>,
        ready_date -> Nullable<Date>,
        sellable_date -> Nullable<Date>,
        max_down -> Nullable<Double>,
        max_up -> Nullable<Double>,
        note -> Nullable<Text>,
        ref_id -> Nullable<Text>,
        street -> Nullable<Text>,
        number -> Nullable<Text>,
        name -> Nullable<Text>,
        geom -> Nullable<Geometry>,
        extra -> Nullable<Text>,
        source_row -> BigInt,
    }
}

diesel::table! {
    raster_files (dataset_id) {
        dataset_id -> BigInt,
        content -> Binary,
    }
}

diesel::table! {
    raster_bands (dataset_id, band) {
        dataset_id -> BigInt,
        band -> Integer,
        operator -> Text,
        infrastructure -> Text,
        technology -> Text,
        value_kind -> Text,
        up_mbps -> Nullable<Double>,
        status -> Text,
        year -> Nullable<Integer>,
        width -> Integer,
        height -> Integer,
        crs -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use postgis_diesel::sql_types::Geometry;

    raster_areas (id) {
        id -> BigInt,
        dataset_id -> BigInt,
        band -> Integer,
        class_min -> Double,
        class_max -> Nullable<Double>,
        geom -> Geometry,
    }
}

diesel::joinable!(progress_items -> progress_uploads (upload_id));
diesel::joinable!(units -> datasets (dataset_id));
diesel::joinable!(footprints -> datasets (dataset_id));
diesel::joinable!(declarations -> datasets (dataset_id));
diesel::joinable!(unit_results -> units (unit_row));
diesel::joinable!(unit_classes -> units (unit_row));

diesel::allow_tables_to_appear_in_same_query!(
    datasets,
    units,
    footprints,
    declarations,
    rule_sets,
    snapshots,
    snapshot_datasets,
    snapshot_rules,
    unit_results,
    unit_classes,
    area_stats,
    area_classes,
    users,
    api_tokens,
    areas,
    progress_uploads,
    progress_items,
    raster_files,
    raster_bands,
    raster_areas,
);
