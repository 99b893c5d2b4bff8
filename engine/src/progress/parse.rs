//! Reading a progress file (CSV, comma or semicolon separated, UTF-8 with or without BOM)
//! into [`Item`]s, with every problem of every row named by row and field. Nothing is
//! dropped silently: a row with a problem gives no item and at least one [`Problem`].

use super::resolve::{self, Method};
use super::{Format, Item, ItemKind, Plan, Problem, Resolution, Status};
use crate::model::Technology;
use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

/// A file read: its items (rows without problems), and its problems.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub format: Option<Format>,
    /// Data rows read.
    pub rows: u64,
    pub items: Vec<Item>,
    /// Rows (and whole-file problems, row 0 or 1) that cannot be stored.
    pub problems: Vec<Problem>,
    /// Comune codes that are not current, resolved to their successor.
    pub resolutions: Vec<Resolution>,
    /// Rows with a problem (the rows `--on-error skip` leaves out).
    pub bad_rows: HashSet<u64>,
}

const BUL_REQUIRED: &[&str] = &["region_name", "city_name", "city_id", "fiber_work_status"];
const CIVICO_REQUIRED: &[&str] = &[
    "operator_id",
    "plan",
    "istat_comune",
    "civico_id",
    "ui_count",
    "technology",
    "status",
    "status_date",
];
const CIVICO_COLUMNS: &[&str] = &[
    "operator_id",
    "plan",
    "lot",
    "istat_comune",
    "civico_id",
    "street",
    "number",
    "lat",
    "lon",
    "ui_count",
    "technology",
    "status",
    "status_date",
    "planned_start",
    "planned_ready",
    "ready_date",
    "sellable_date",
    "max_down",
    "max_up",
    "note",
];
const SITES_REQUIRED: &[&str] = &[
    "operator_id",
    "site_id",
    "lat",
    "lon",
    "istat_comune",
    "technology",
    "status",
    "status_date",
];
const SITES_COLUMNS: &[&str] = &[
    "operator_id",
    "site_id",
    "site_type",
    "plan",
    "lat",
    "lon",
    "istat_comune",
    "technology",
    "status",
    "status_date",
    "planned_ready",
    "ready_date",
    "note",
];

/// The format a header says: BUL's `city_id` + `fiber_work_status`, a `civico_id`, or a
/// `site_id`.
pub fn detect(header: &[String]) -> Option<Format> {
    let has = |n: &str| header.iter().any(|h| h == n);
    if has("city_id") && has("fiber_work_status") {
        Some(Format::Bul)
    } else if has("civico_id") {
        Some(Format::Civico)
    } else if has("site_id") {
        Some(Format::Sites)
    } else {
        None
    }
}

/// The columns a format requires.
pub fn required(format: Format) -> &'static [&'static str] {
    match format {
        Format::Bul => BUL_REQUIRED,
        Format::Civico => CIVICO_REQUIRED,
        Format::Sites => SITES_REQUIRED,
    }
}

/// A date as `YYYY-MM-DD` (a time after it is ignored) or `DD/MM/YYYY`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let day = s.get(..10).unwrap_or(s);
    NaiveDate::parse_from_str(day, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
        .ok()
}

/// Reads `bytes` as a progress file. `format` is detected from the header when `None`.
/// `file_date` is the date a BUL file reports (it carries none of its own).
pub fn parse(bytes: &[u8], format: Option<Format>, file_date: NaiveDate) -> Parsed {
    let mut out = Parsed::default();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let first_line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let semicolons = first_line.iter().filter(|&&b| b == b';').count();
    let commas = first_line.iter().filter(|&&b| b == b',').count();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(if semicolons > commas { b';' } else { b',' })
        .flexible(true)
        .from_reader(bytes);
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|s| s.trim().to_lowercase()).collect(),
        Err(e) => {
            out.problems.push(Problem::new(
                1,
                "header",
                "",
                format!("not a CSV file: {e}"),
            ));
            return out;
        }
    };
    let Some(format) = format.or_else(|| detect(&header)) else {
        out.problems.push(Problem::new(
            1,
            "header",
            &header.join(","),
            "not a progress file: expected the BUL columns (city_id, fiber_work_status, ...), \
             a civico_id column (per-address progress) or a site_id column (mobile sites)",
        ));
        return out;
    };
    out.format = Some(format);
    let missing: Vec<&str> = required(format)
        .iter()
        .copied()
        .filter(|c| !header.iter().any(|h| h == c))
        .collect();
    for c in &missing {
        out.problems.push(Problem::new(
            1,
            c,
            "",
            format!(
                "missing column (a {format} file needs {})",
                required(format).join(", ")
            ),
        ));
    }
    if !missing.is_empty() {
        return out;
    }
    let columns: HashMap<&str, usize> = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    let mut rows = Vec::new();
    for record in reader.records() {
        match record {
            Ok(r) => rows.push(r),
            Err(e) => {
                let row = e.position().map_or(0, |p| p.line());
                out.rows += 1;
                out.bad_rows.insert(row);
                out.problems
                    .push(Problem::new(row, "row", "", format!("unreadable CSV: {e}")));
            }
        }
    }
    out.rows += rows.len() as u64;
    // a current code that appears in the file is not the successor of an old one
    let present: HashSet<String> = match format {
        Format::Bul => rows
            .iter()
            .filter_map(|r| r.get(columns["city_id"]).and_then(resolve::pad_code))
            .collect(),
        _ => HashSet::new(),
    };
    let in_file = |code: &str| present.contains(code);
    for r in &rows {
        let line = r.position().map_or(0, |p| p.line());
        let row = Row {
            record: r,
            columns: &columns,
            header: &header,
            line,
            problems: Vec::new(),
        };
        let (items, problems, resolution) = match format {
            Format::Bul => bul_row(row, file_date, &in_file),
            Format::Civico => civico_row(row),
            Format::Sites => site_row(row),
        };
        if let Some(res) = resolution {
            out.resolutions.push(res);
        }
        if problems.is_empty() {
            out.items.extend(items);
        } else {
            out.bad_rows.insert(line);
            out.problems.extend(problems);
        }
    }
    out
}

/// One data row and its problems so far.
struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a HashMap<&'a str, usize>,
    header: &'a [String],
    line: u64,
    problems: Vec<Problem>,
}

impl Row<'_> {
    /// The trimmed value of a column ("" when the column or the value is absent).
    fn get(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|&i| self.record.get(i))
            .map_or("", str::trim)
    }

    fn problem(&mut self, field: &str, message: impl Into<String>) {
        let value = self.get(field).to_string();
        self.problems
            .push(Problem::new(self.line, field, &value, message));
    }

    fn required(&mut self, field: &str) -> Option<String> {
        let v = self.get(field);
        if v.is_empty() {
            self.problem(field, "missing");
            None
        } else {
            Some(v.to_string())
        }
    }

    fn optional(&self, field: &str) -> Option<String> {
        Some(self.get(field))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    fn date(&mut self, field: &str) -> Option<NaiveDate> {
        let v = self.get(field);
        if v.is_empty() {
            return None;
        }
        let d = parse_date(v);
        if d.is_none() {
            self.problem(field, "not a date (YYYY-MM-DD or DD/MM/YYYY)");
        }
        d
    }

    /// A count: missing is a problem when `needed`; negative or fractional always.
    fn count(&mut self, field: &str, needed: bool) -> Option<i64> {
        let v = self.get(field);
        if v.is_empty() {
            if needed {
                self.problem(field, "missing count");
            }
            return None;
        }
        match v.parse::<i64>() {
            Ok(n) if n < 0 => {
                self.problem(field, "negative count");
                None
            }
            Ok(n) => Some(n),
            Err(_) => {
                self.problem(field, "not a whole number");
                None
            }
        }
    }

    fn speed(&mut self, field: &str) -> Option<f64> {
        let v = self.get(field);
        if v.is_empty() {
            return None;
        }
        match v.replace(',', ".").parse::<f64>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Some(x),
            _ => {
                self.problem(field, "not a speed in Mbps (a number >= 0)");
                None
            }
        }
    }

    fn status(&mut self, field: &str) -> Option<Status> {
        let v = self.get(field);
        if v.is_empty() {
            self.problem(field, "missing");
            return None;
        }
        let s = Status::parse(v);
        if s.is_none() {
            self.problem(
                field,
                "unknown status (planned, design_final, design_exec, permits, in_works, \
                 works_closed, testing, completed, sellable, excluded, or the Italian terms)",
            );
        }
        s
    }

    /// Longitude and latitude, both or neither (`needed`: both required).
    fn position(&mut self, needed: bool) -> Option<(f64, f64)> {
        let (lon, lat) = (self.get("lon").to_string(), self.get("lat").to_string());
        if lon.is_empty() && lat.is_empty() {
            if needed {
                self.problem("lat", "missing");
                self.problem("lon", "missing");
            }
            return None;
        }
        let parse = |v: &str| v.replace(',', ".").parse::<f64>().ok();
        let lon = match parse(&lon) {
            Some(x) if (-180.0..=180.0).contains(&x) => Some(x),
            _ => {
                self.problem("lon", "not a longitude in degrees (WGS84, -180 to 180)");
                None
            }
        };
        let lat = match parse(&lat) {
            Some(y) if (-90.0..=90.0).contains(&y) => Some(y),
            _ => {
                self.problem("lat", "not a latitude in degrees (WGS84, -90 to 90)");
                None
            }
        };
        lon.zip(lat)
    }

    /// The comune code, current (exact) only: per-address and site files carry no name.
    fn comune(&mut self, field: &str) -> Option<String> {
        let v = self.get(field).to_string();
        if v.is_empty() {
            self.problem(field, "missing");
            return None;
        }
        match resolve::resolve(&v, "", "", &|_| false) {
            Some(r) => Some(r.comune.code.to_string()),
            None => {
                self.problem(
                    field,
                    "unknown comune code (not in the ISTAT list of June 2023)",
                );
                None
            }
        }
    }

    fn technology(&mut self, allowed: &[Technology]) -> Option<String> {
        let v = self.get("technology");
        if v.is_empty() {
            self.problem("technology", "missing");
            return None;
        }
        match Technology::from_str(v) {
            Ok(t) if allowed.contains(&t) => Some(t.as_str().to_string()),
            _ => {
                let names: Vec<&str> = allowed.iter().map(|t| t.as_str()).collect();
                self.problem(
                    "technology",
                    format!("unknown technology (one of {})", names.join(", ")),
                );
                None
            }
        }
    }

    /// `later` must not come before `earlier`.
    /// The plan a `plan` field names; an unknown one is a problem of the row.
    fn plan(&mut self, value: &str) -> Option<Plan> {
        let plan = Plan::parse(value);
        if plan.is_none() {
            self.problem("plan", "unknown plan (BUL, PI1G, PI5G, PRIVATE, REGIONAL)");
        }
        plan
    }

    fn in_order(&mut self, earlier: (&str, Option<NaiveDate>), later: (&str, Option<NaiveDate>)) {
        if let (Some(a), Some(b)) = (earlier.1, later.1) {
            if b < a {
                self.problem(
                    later.0,
                    format!("dates out of order: {} is before {} {a}", b, earlier.0),
                );
            }
        }
    }

    /// The columns a format does not model, as a JSON object (`None` when there are none).
    fn extra(&self, known: &[&str]) -> Option<String> {
        let map: serde_json::Map<String, serde_json::Value> = self
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| !known.contains(&h.as_str()))
            .filter_map(|(i, h)| {
                let v = self.record.get(i)?.trim();
                (!v.is_empty()).then(|| (h.clone(), serde_json::Value::String(v.to_string())))
            })
            .collect();
        (!map.is_empty()).then(|| serde_json::Value::Object(map).to_string())
    }
}

type RowResult = (Vec<Item>, Vec<Problem>, Option<Resolution>);

/// Fixed technologies an operator's per-address plan may report.
const FIXED: &[Technology] = &[
    Technology::Ftth,
    Technology::Fttb,
    Technology::Fttc,
    Technology::Vdsl,
    Technology::Fwa,
    Technology::Cable,
    Technology::Mobile4g,
    Technology::Mobile5g,
];

fn civico_row(mut r: Row) -> RowResult {
    let operator = r.required("operator_id");
    let plan = r.required("plan").and_then(|p| r.plan(&p));
    let comune = r.comune("istat_comune");
    let civico = r.required("civico_id");
    let position = r.position(false);
    let units = r.count("ui_count", true);
    let technology = r.technology(FIXED);
    let status = r.status("status");
    let status_date = match r.required("status_date") {
        Some(_) => r.date("status_date"),
        None => None,
    };
    let planned_start = r.date("planned_start");
    let planned_ready = r.date("planned_ready");
    let ready_date = r.date("ready_date");
    let sellable_date = r.date("sellable_date");
    let max_down = r.speed("max_down");
    let max_up = r.speed("max_up");
    r.in_order(
        ("planned_start", planned_start),
        ("planned_ready", planned_ready),
    );
    r.in_order(("ready_date", ready_date), ("sellable_date", sellable_date));
    r.in_order(("ready_date", ready_date), ("status_date", status_date));
    r.in_order(
        ("sellable_date", sellable_date),
        ("status_date", status_date),
    );
    if !r.problems.is_empty() {
        return (Vec::new(), r.problems, None);
    }
    let (Some(operator), Some(plan), Some(comune), Some(civico), Some(units)) =
        (operator, plan, comune, civico, units)
    else {
        return (Vec::new(), r.problems, None);
    };
    let (Some(technology), Some(status), Some(status_date)) = (technology, status, status_date)
    else {
        return (Vec::new(), r.problems, None);
    };
    let item = Item {
        kind: ItemKind::Civico,
        key: format!("civico:{operator}:{plan}:{technology}:{civico}"),
        lot: r.optional("lot"),
        source_comune: r.get("istat_comune").to_string(),
        status_text: r.get("status").to_string(),
        note: r.optional("note"),
        street: r.optional("street"),
        number: r.optional("number"),
        extra: r.extra(CIVICO_COLUMNS),
        operator,
        plan,
        comune,
        technology,
        status,
        status_date,
        units,
        planned_start,
        planned_ready,
        ready_date,
        sellable_date,
        max_down,
        max_up,
        ref_id: Some(civico),
        name: None,
        lon: position.map(|p| p.0),
        lat: position.map(|p| p.1),
        row: r.line,
    };
    (vec![item], Vec::new(), None)
}

fn site_row(mut r: Row) -> RowResult {
    let operator = r.required("operator_id");
    let site = r.required("site_id");
    let plan = match r.optional("plan") {
        None => Some(Plan::Pi5g),
        Some(p) => r.plan(&p),
    };
    let site_type = r.optional("site_type");
    if let Some(t) = &site_type {
        if !matches!(t.to_lowercase().as_str(), "backhaul" | "densification") {
            r.problem("site_type", "unknown site type (backhaul or densification)");
        }
    }
    let position = r.position(true);
    let comune = r.comune("istat_comune");
    let technology = r.technology(&[Technology::Mobile4g, Technology::Mobile5g, Technology::Ftth]);
    let status = r.status("status");
    let status_date = match r.required("status_date") {
        Some(_) => r.date("status_date"),
        None => None,
    };
    let planned_ready = r.date("planned_ready");
    let ready_date = r.date("ready_date");
    r.in_order(("ready_date", ready_date), ("status_date", status_date));
    if !r.problems.is_empty() {
        return (Vec::new(), r.problems, None);
    }
    let (Some(operator), Some(site), Some(plan), Some(position), Some(comune)) =
        (operator, site, plan, position, comune)
    else {
        return (Vec::new(), r.problems, None);
    };
    let (Some(technology), Some(status), Some(status_date)) = (technology, status, status_date)
    else {
        return (Vec::new(), r.problems, None);
    };
    let item = Item {
        kind: ItemKind::Site,
        key: format!("site:{operator}:{plan}:{technology}:{site}"),
        lot: None,
        source_comune: r.get("istat_comune").to_string(),
        status_text: r.get("status").to_string(),
        note: r.optional("note"),
        extra: r.extra(SITES_COLUMNS),
        operator,
        plan,
        comune,
        technology,
        status,
        status_date,
        units: 0,
        planned_start: None,
        planned_ready,
        ready_date,
        sellable_date: None,
        max_down: None,
        max_up: None,
        ref_id: Some(site),
        street: None,
        number: None,
        name: site_type.map(|t| t.to_lowercase()),
        lon: Some(position.0),
        lat: Some(position.1),
        row: r.line,
    };
    (vec![item], Vec::new(), None)
}

/// The operator BUL open data is attributed to.
pub const BUL_OPERATOR: &str = "Infratel";

fn bul_row(mut r: Row, file_date: NaiveDate, in_file: &dyn Fn(&str) -> bool) -> RowResult {
    let code = r.get("city_id").to_string();
    let name = r.get("city_name").to_string();
    let region = r.get("region_name").to_string();
    let mut resolution = None;
    let comune = if code.is_empty() {
        r.problem("city_id", "missing");
        None
    } else {
        match resolve::resolve(&code, &name, &region, in_file) {
            Some(res) => {
                if res.method != Method::Exact {
                    resolution = Some(Resolution {
                        row: r.line,
                        code_in_file: code.clone(),
                        name_in_file: name.clone(),
                        code: res.comune.code.to_string(),
                        name: res.comune.name.to_string(),
                        method: res.method,
                    });
                }
                Some(res.comune.code)
            }
            None => {
                r.problem(
                    "city_id",
                    format!(
                        "unknown comune code {:?} ({name}): not in the ISTAT list of June 2023, \
                         and no comune of {region} succeeds it by name",
                        resolve::pad_code(&code).unwrap_or(code.clone())
                    ),
                );
                None
            }
        }
    };
    let base = r.count("ui_piano_base", false);
    r.count("ui_piano_integrativo", false);
    let year = |r: &mut Row, field: &str| -> Option<NaiveDate> {
        let v = r.get(field);
        if v.is_empty() {
            return None;
        }
        match v.parse::<i32>() {
            Ok(y) if (1990..=2100).contains(&y) => NaiveDate::from_ymd_opt(y, 12, 31),
            _ => {
                r.problem(field, "not a year");
                None
            }
        }
    };
    let fibre_year = year(&mut r, "piano_of_fibra");
    let fwa_year = year(&mut r, "piano_of_fwa");
    let mut works = Vec::new();
    for (field, technology, units, planned) in [
        ("fiber_work_status", "FTTH", base.unwrap_or(0), fibre_year),
        ("wireless_work_status", "FWA", 0, fwa_year),
        ("pcn_work_status", "PCN", 0, None),
    ] {
        if r.get(field).is_empty() {
            continue;
        }
        if let Some(status) = r.status(field) {
            works.push((field, technology, units, planned, status));
        }
    }
    if !r.problems.is_empty() {
        return (Vec::new(), r.problems, resolution);
    }
    let Some(comune) = comune else {
        return (Vec::new(), r.problems, resolution);
    };
    let extra = r.extra(&[]);
    let padded = resolve::pad_code(&code).unwrap_or(code.clone());
    let items = works
        .into_iter()
        .map(|(field, technology, units, planned_ready, status)| Item {
            kind: ItemKind::Comune,
            key: format!("bul:{padded}:{technology}"),
            operator: BUL_OPERATOR.to_string(),
            plan: Plan::Bul,
            lot: None,
            comune: comune.to_string(),
            source_comune: code.clone(),
            technology: technology.to_string(),
            status,
            status_text: r.get(field).to_string(),
            status_date: file_date,
            units,
            planned_start: None,
            planned_ready,
            ready_date: None,
            sellable_date: None,
            max_down: None,
            max_up: None,
            note: None,
            ref_id: None,
            street: None,
            number: None,
            name: Some(name.clone()),
            lon: None,
            lat: None,
            extra: extra.clone(),
            row: r.line,
        })
        .collect();
    (items, Vec::new(), resolution)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    const CIVICO_HEADER: &str = "operator_id,plan,lot,istat_comune,civico_id,street,number,lat,lon,ui_count,technology,status,status_date,planned_start,planned_ready,ready_date,sellable_date,max_down,max_up,note\n";

    #[test]
    fn a_good_civico_row_becomes_an_item() {
        let f = format!(
            "{CIVICO_HEADER}OpNet,PI1G,L3,048017,C1,Via Roma,7/A,43.77,11.25,3,FTTH,in_works,2025-03-01,2024-10-01,2025-12-31,,,1000,300,\n"
        );
        let p = parse(f.as_bytes(), None, day("2025-01-01"));
        assert_eq!(p.format, Some(Format::Civico));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        let it = &p.items[0];
        assert_eq!(it.key, "civico:OpNet:PI1G:FTTH:C1");
        assert_eq!((it.units, it.status, it.row), (3, Status::InWorks, 2));
        assert_eq!(it.lon, Some(11.25));
        assert!(it.is_late(day("2026-01-01")));
        assert!(!it.is_late(day("2025-06-01")));
    }

    #[test]
    fn every_row_problem_is_named_by_row_and_field() {
        let f = format!(
            "{CIVICO_HEADER}\
             OpNet,PI1G,,999999,C1,,,,,3,FTTH,planned,2025-03-01,,,,,,,\n\
             OpNet,PI1G,,048017,C2,,,,,-2,FTTH,planned,2025-03-01,,,,,,,\n\
             OpNet,PI1G,,048017,C3,,,,,,FTTH,planned,2025-03-01,,,,,,,\n\
             OpNet,PI1G,,048017,C4,,,,,1,FTTH,quasi,2025-03-01,,,,,,,\n\
             OpNet,PI1G,,048017,C5,,,,,1,FTTH,planned,2025-03-01,2025-09-01,2025-02-01,,,,,\n\
             OpNet,PI1G,,048017,C6,,,,,1,FTTH,sellable,2025-03-01,,,2025-02-01,2025-01-15,,,\n\
             OpNet,XX,,048017,C7,,,,,1,FTTH,planned,2025-13-01,,,,,,,\n"
        );
        let p = parse(f.as_bytes(), None, day("2025-01-01"));
        assert!(p.items.is_empty());
        let got: Vec<(u64, &str)> = p
            .problems
            .iter()
            .map(|q| (q.row, q.field.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (2, "istat_comune"),
                (3, "ui_count"),
                (4, "ui_count"),
                (5, "status"),
                (6, "planned_ready"),
                (7, "sellable_date"),
                (8, "plan"),
                (8, "status_date"),
            ]
        );
        assert!(p.problems[1].message.contains("negative"));
        assert!(p.problems[2].message.contains("missing"));
        assert_eq!(p.bad_rows.len(), 7);
    }

    #[test]
    fn a_file_without_the_columns_of_its_format_is_refused_at_the_header() {
        let p = parse(b"operator_id,civico_id\nA,1\n", None, day("2025-01-01"));
        assert!(p.items.is_empty());
        assert!(p.problems.iter().all(|q| q.row == 1));
        assert!(p.problems.iter().any(|q| q.field == "status_date"));
        let p = parse(b"a,b\n1,2\n", None, day("2025-01-01"));
        assert_eq!(p.problems[0].field, "header");
    }

    #[test]
    fn bul_rows_give_fibre_wireless_and_pcn_work_with_resolutions() {
        let f = "region_name,province_name,city_name,city_id,fiber_work_status,wireless_work_status,pcn_route,pcn_sede_id,pcn_sede_name,pcn_work_status,pcn_direttrice,pcn_ordine_direttrice,pcn_cab_transitorio,ui_piano_base,ui_piano_integrativo,fibra,fwa,piano_of_fibra,piano_of_fwa,piano_of_fibra_2021\n\
             Toscana,Siena,Montalcino,52014,terminato,in progettazione esecutiva,POP,52014,Montalcino,collaudo terminato,SEDE,SEDE,1,3070,445,1,1,2021,2022,H1\n\
             Toscana,Firenze,Barberino di Mugello,48002,in programmazione,in programmazione,,,,,,,,,,0,0,,,\n\
             Toscana,Firenze,Nowhere,48999,terminato,,,,,,,,,10,,1,0,,,\n";
        let p = parse(f.as_bytes(), Some(Format::Bul), day("2023-05-01"));
        assert_eq!(p.rows, 3);
        assert_eq!(p.items.len(), 5);
        let fibre = &p.items[0];
        assert_eq!(fibre.key, "bul:052014:FTTH");
        assert_eq!((fibre.comune.as_str(), fibre.units), ("052037", 3070));
        assert_eq!(fibre.planned_ready, Some(day("2021-12-31")));
        assert_eq!(p.items[2].status, Status::Completed);
        assert_eq!(p.items[2].status_text, "collaudo terminato");
        assert_eq!(p.resolutions.len(), 1);
        assert_eq!(p.resolutions[0].method, Method::SameName);
        assert_eq!(p.problems.len(), 1);
        assert_eq!(
            (p.problems[0].row, p.problems[0].field.as_str()),
            (4, "city_id")
        );
        assert!(
            p.problems[0].message.contains("048999"),
            "{}",
            p.problems[0]
        );
    }

    #[test]
    fn semicolons_and_a_bom_are_read() {
        let f = "\u{FEFF}operator_id;site_id;lat;lon;istat_comune;technology;status;status_date;site_type\n\
                 OpNet;S1;43,5;11,2;048017;5G;in collaudo;01/02/2026;backhaul\n";
        let p = parse(f.as_bytes(), None, day("2025-01-01"));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.format, Some(Format::Sites));
        assert_eq!(p.items[0].status_date, day("2026-02-01"));
        assert_eq!(p.items[0].lat, Some(43.5));
        assert_eq!(p.items[0].plan, Plan::Pi5g);
    }
}

#[cfg(test)]
mod bul_sample {
    use super::*;
    use crate::progress::resolve::Method;

    /// The Tuscan BUL sample (data/progress, see data/SOURCE.md for its totals).
    #[test]
    fn the_tuscan_sample_reads_whole_with_its_thirteen_old_codes_resolved() {
        let bytes = include_bytes!("../../../data/progress/bul_stato_lavori_toscana.csv");
        let p = parse(bytes, None, "2023-05-01".parse().unwrap());
        assert_eq!(p.format, Some(Format::Bul));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
        assert_eq!(p.rows, 268);
        let fibre: Vec<&Item> = p.items.iter().filter(|i| i.technology == "FTTH").collect();
        assert_eq!(fibre.len(), 268);
        assert_eq!(fibre.iter().map(|i| i.units).sum::<i64>(), 427_381);
        let mut by_text: HashMap<&str, usize> = HashMap::new();
        for i in &fibre {
            *by_text.entry(i.status_text.as_str()).or_default() += 1;
        }
        for (text, n) in [
            ("terminato", 92),
            ("in esecuzione", 70),
            ("in programmazione", 58),
            ("in collaudo", 23),
            ("in progettazione esecutiva", 13),
            ("lavori chiusi", 11),
            ("in progettazione definitiva", 1),
        ] {
            assert_eq!(by_text.get(text), Some(&n), "{text}");
        }
        let resolved: Vec<(&str, &str, Method)> = p
            .resolutions
            .iter()
            .map(|r| (r.code_in_file.as_str(), r.code.as_str(), r.method))
            .collect();
        // every one checked by hand against the ISTAT list: the mergers of 2017-2019
        assert_eq!(
            resolved,
            [
                ("51019", "051042", Method::MergedName),     // Laterina
                ("51028", "051042", Method::MergedName),     // Pergine Valdarno
                ("48003", "048054", Method::MergedName),     // Barberino Val d'Elsa
                ("48045", "048054", Method::MergedName),     // Tavarnelle Val di Pesa
                ("49015", "049021", Method::MergedName),     // Rio Marina -> Rio
                ("49016", "049021", Method::MergedName),     // Rio nell'Elba -> Rio
                ("46016", "046037", Method::NamedSuccessor), // Sillano Giuncugnano (ex ...)
                ("46029", "046037", Method::NamedSuccessor),
                ("47001", "047023", Method::NamedSuccessor), // Abetone Cutigliano (ex ...)
                ("47004", "047023", Method::NamedSuccessor),
                ("47015", "047024", Method::SameName), // San Marcello Piteglio
                ("52014", "052037", Method::SameName), // Montalcino
                ("52029", "052037", Method::NamedSuccessor),
            ]
        );
    }
}
